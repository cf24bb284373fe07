"""leadhub import: encodings and delimiters detected, bad rows reported by line, good rows stored once."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from connectors.sources.file_import import sniff
from core.context import Context
from core.errors import ConfigurationError
from core.models import Lead, Person, RawRecord
from core.settings import Settings
from sync import connections, file_import, pipeline
from sync.cli import main

FIXTURES = Path(__file__).resolve().parent.parent / "connectors" / "sources" / "file_import" / "fixtures"
GERMAN = (
    "Vorname;Nachname;E-Mail;Telefon;PLZ;Ort;Einwilligung;Bemerkung\r\n"
    "Jürgen;Weiß;juergen.weiss@example.org;0151 2345 6789;50667;Köln;Ja;Schichtdienst möglich\r\n"
    "Björn;Groß;bjoern.gross@example.org;;80331;München;Nein;Führerschein Klasse C\r\n"
)


@pytest.fixture
def imports(ctx: Context) -> Context:
    connections.create(ctx, "imports", "file_import")
    return ctx


def bodies(ctx: Context) -> list[dict[str, Any]]:
    with ctx.db.session() as session:
        raws = session.scalars(select(RawRecord).order_by(RawRecord.id)).all()
    return sorted((json.loads(raw.body) for raw in raws), key=lambda body: (body["_file"], body["_line"]))


def count(ctx: Context, model: Any) -> int:
    with ctx.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def process_all(ctx: Context, dispatcher: Any) -> list[pipeline.Outcome]:
    return [pipeline.process(ctx, raw_id) for raw_id in dispatcher.raw]


@pytest.mark.parametrize(
    ("encoding", "extra", "detected"),
    [
        ("utf-8", "", "utf-8"),
        ("utf-8-sig", "", "utf-8-sig"),
        ("cp1252", " „ab sofort“ für 12 €", "cp1252"),
        ("latin-1", "\x8d", "latin-1"),  # a byte cp1252 leaves undefined, so only latin-1 reads it
        ("latin-1", "", "cp1252"),  # without such bytes latin-1 and cp1252 read the same characters
        ("utf-16", "", "utf-16"),  # Excel's "Unicode text" (with a byte order mark)
    ],
)
def test_each_encoding_is_detected_and_umlauts_arrive_intact(
    imports: Context, tmp_path: Path, encoding: str, extra: str, detected: str
) -> None:
    path = tmp_path / "leads.csv"
    path.write_bytes(GERMAN.replace("möglich", "möglich" + extra).encode(encoding))
    report = file_import.run(imports, path, "imports")
    assert report.fmt.encoding == detected
    assert (report.rows, report.stored, len(report.problems)) == (2, 2, 0)
    first, second = bodies(imports)
    assert first["vorname"] == "Jürgen" and first["nachname"] == "Weiß" and first["ort"] == "Köln"
    assert first["bemerkung"] == "Schichtdienst möglich" + extra
    assert second["nachname"] == "Groß" and "vorname" in second  # the BOM never sticks to the first header


@pytest.mark.parametrize(("delimiter", "name"), [(",", "comma"), (";", "semicolon"), ("\t", "tab")])
def test_each_delimiter_is_detected_even_when_values_contain_the_others(
    imports: Context, tmp_path: Path, delimiter: str, name: str
) -> None:
    rows = [
        ["Vorname", "Nachname", "E-Mail", "Bemerkung"],
        ["Anna-Lena", "von der Heide", "anna-lena@example.org", "Köln, Bonn; auch Düsseldorf"],
        ["Léa", "Martin", "lea.martin@example.org", "Teilzeit\tab März, 30 h"],
    ]
    text = "\n".join(delimiter.join(f'"{cell}"' if delimiter in cell else cell for cell in row) for row in rows)
    path = tmp_path / "leads.csv"
    path.write_text(text + "\n", encoding="utf-8")
    report = file_import.run(imports, path, "imports")
    assert report.fmt.delimiter == delimiter and f"{name}-delimited" in report.summary()
    assert (report.stored, len(report.problems)) == (2, 0)
    assert [body["bemerkung"] for body in bodies(imports)] == [rows[1][3], rows[2][3]]


def test_excels_sep_line_names_the_delimiter_and_is_not_the_header(imports: Context, tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_text("sep=;\nName;E-Mail;Ort\nJonas Becker;jonas@example.org;Köln, Innenstadt\n", encoding="utf-8")
    report = file_import.run(imports, path, "imports")
    assert (report.fmt.delimiter, report.stored) == (";", 1)
    assert bodies(imports)[0]["_line"] == 3 and bodies(imports)[0]["ort"] == "Köln, Innenstadt"


def test_quoted_newlines_stay_in_their_field_and_lines_count_physical_lines(imports: Context) -> None:
    report = file_import.run(imports, FIXTURES / "leads_de_excel_cp1252.csv", "imports")
    assert (report.rows, report.stored) == (3, 3)
    stored = bodies(imports)
    assert [body["_line"] for body in stored] == [2, 3, 5]  # Özlem's note runs over lines 3 and 4
    assert stored[1]["bemerkung"] == "Möchte Nachtschicht,\r\nab Januar"
    assert stored[0]["_file"] == "leads_de_excel_cp1252.csv"


def test_german_excel_headers_map_to_person_consent_and_campaign(imports: Context, dispatcher: Any) -> None:
    report = file_import.run(imports, FIXTURES / "leads_de_excel_cp1252.csv", "imports")
    assert report.fmt == sniff.FileFormat("csv", "cp1252", ";")
    assert {outcome.status for outcome in process_all(imports, dispatcher)} == {"created"}
    with imports.db.session() as session:
        leads = {lead.data["person"]["first_name"]: lead for lead in session.scalars(select(Lead))}
        juergen = leads["Jürgen"]
        person = session.get(Person, juergen.person_id)
    assert person is not None
    assert (person.last_name, person.email, person.phone) == ("Weiß", "juergen.weiss@example.org", "+4915123456789")
    assert (person.postcode, person.city) == ("50667", "Köln")
    assert juergen.captured_at.isoformat() == "2026-11-03T00:00:00+00:00"
    assert juergen.campaign == "Pflege Herbst 2026" and juergen.channel == "import"
    assert juergen.data["attribution"]["utm_source"] == "Messe"
    assert juergen.data["consents"] == [
        {"purpose": "recruiting_contact", "granted": True, "source": "file_import", "legal_basis": "consent"}
    ]
    assert {name: lead.data["consents"][0]["granted"] for name, lead in leads.items()} == {
        "Jürgen": True,
        "Özlem": False,
        "Björn": True,
    }
    assert leads["Björn"].data["person"]["phone"] == "+491719876543"  # phone only, no email: still a lead
    assert all(lead.external_id.startswith("row_") for lead in leads.values())  # no id column: a hash of the row


def test_english_headers_map_with_the_files_own_lead_ids(imports: Context, dispatcher: Any) -> None:
    report = file_import.run(imports, FIXTURES / "leads_en.csv", "imports")
    assert report.fmt == sniff.FileFormat("csv", "utf-8", ",")
    process_all(imports, dispatcher)
    with imports.db.session() as session:
        leads = {lead.external_id: lead for lead in session.scalars(select(Lead))}
    assert sorted(leads) == ["L-1001", "L-1002", "L-1003"]
    sophie = leads["L-1001"].data
    assert sophie["person"] == {
        "first_name": "Sophie",
        "last_name": "Schäfer",
        "email": "sophie.schaefer@example.org",
        "phone": "+4915211122233",
        "postcode": "20095",
        "city": "Hamburg",
    }
    assert sophie["attribution"] == {"channel": "import", "campaign_name": "Care autumn 2026", "utm_source": "meta"}
    assert sophie["captured_at"] == "2026-11-05T00:00:00Z"
    assert leads["L-1002"].data["consents"][0]["granted"] is False
    assert leads["L-1002"].data["person"]["postcode"] == "04109"  # leading zero kept
    assert leads["L-1003"].data["consents"] == []  # an empty consent cell says nothing


def test_bad_rows_are_reported_with_their_line_and_reason_and_good_rows_are_stored(imports: Context) -> None:
    report = file_import.run(imports, FIXTURES / "leads_bad_rows.csv", "imports")
    assert (report.rows, report.stored, report.skipped_known) == (8, 3, 0)
    reasons = {problem.line: problem.reason for problem in report.problems}
    assert sorted(reasons) == [3, 4, 5, 7, 8]
    assert reasons[3].startswith("column e_mail (person.email): value is not a valid email address")
    assert reasons[4] == "column einwilligung: cannot read 'vielleicht' as a consent (Ja/Nein, yes/no, 1/0)"
    assert reasons[5] == "has 3 columns, the header has 6 (comma-delimited)"
    assert reasons[7] == "no email address and no phone number; a lead needs at least one of them"
    assert reasons[8].startswith("column datum (captured_at):") and "31.02.2026" in reasons[8]
    assert [body["_line"] for body in bodies(imports)] == [2, 6, 10]  # line 8's quoted newline moves Léa to 10
    written = report.problems_file.read_text(encoding="utf-8").splitlines()
    assert written[0] == "line,reason" and len(written) == 6 and written[3].startswith('5,"has 3 columns')
    assert str(report.problems_file) in report.summary() and "5 bad" in report.summary()


def test_a_quote_that_is_never_closed_is_reported_where_it_starts(imports: Context, tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_text(
        'Vorname,E-Mail,Ort\nJonas,jonas@example.org,"Köln\nMarie,marie@example.org,Bonn\n', encoding="utf-8"
    )
    report = file_import.run(imports, path, "imports")
    assert report.stored == 0
    assert [(p.line, p.reason) for p in report.problems] == [
        (
            2,
            "a quote opened in this row is never closed, so lines 2–3 (the rest of the file) were read as one "
            "value; close or remove that quote and import again",
        )
    ]


@pytest.mark.parametrize(
    ("ort", "reason"),
    [
        (
            '"Köln\nMarie,marie@example.org,Bonn",x',
            "has 4 columns, the header has 3 (comma-delimited); the row runs "
            "on to line 3, look for a quote that is opened and not closed",
        ),
        (
            '"Köln\nMarie,marie@example.org,"Bonn"',
            "a quote inside a quoted value is not doubled (the row runs on to "
            'line 3); write "" for a quote inside quotes',
        ),
    ],
)
def test_a_stray_quote_that_merges_rows_is_reported_with_a_hint(
    imports: Context, tmp_path: Path, ort: str, reason: str
) -> None:
    path = tmp_path / "leads.csv"
    path.write_text(f"Vorname,E-Mail,Ort\nJonas,jonas@example.org,{ort}\nLéa,lea@example.org,Trier\n", "utf-8")
    report = file_import.run(imports, path, "imports")
    assert [(p.line, p.reason) for p in report.problems] == [(2, reason)]
    assert [body["_line"] for body in bodies(imports)] == [4]


def test_jsonl_with_a_malformed_line_reports_it_and_keeps_the_others(imports: Context, dispatcher: Any) -> None:
    report = file_import.run(imports, FIXTURES / "leads_malformed_line.jsonl", "imports")
    assert report.fmt.kind == "jsonl"
    assert [(p.line, p.reason) for p in report.problems] == [
        (2, "not valid JSON at column 1: Expecting ',' delimiter"),
        (5, "expected a JSON object, found list"),
    ]
    assert [body["_line"] for body in bodies(imports)] == [1, 3, 6]
    process_all(imports, dispatcher)
    with imports.db.session() as session:
        leads = {lead.external_id: lead.data for lead in session.scalars(select(Lead))}
    assert sorted(leads) == ["evt-501", "evt-502", "evt-504"]
    assert leads["evt-502"]["person"]["phone"] == "+4917644455566"
    assert leads["evt-502"]["consents"][0]["granted"] is True  # JSON true works like "Ja"
    assert leads["evt-504"]["person"]["email"] == "lena.fischer@example.org"  # "E-Mail" key normalised


def test_reimporting_the_same_file_stores_nothing_new_before_and_after_processing(
    imports: Context, dispatcher: Any
) -> None:
    path = FIXTURES / "leads_de_excel_cp1252.csv"
    assert file_import.run(imports, path, "imports").stored == 3
    again = file_import.run(imports, path, "imports")
    assert (again.stored, again.skipped_known) == (0, 3)  # raw records still waiting for a worker
    process_all(imports, dispatcher)
    third = file_import.run(imports, path, "imports")
    assert (third.stored, third.skipped_known) == (0, 3)  # now leads
    assert count(imports, RawRecord) == 3 and count(imports, Lead) == 3


def test_the_same_rows_saved_in_another_encoding_and_delimiter_keep_their_ids(imports: Context, tmp_path: Path) -> None:
    assert file_import.run(imports, FIXTURES / "leads_de_excel_cp1252.csv", "imports").stored == 3
    text = (FIXTURES / "leads_de_excel_cp1252.csv").read_bytes().decode("cp1252")
    resaved = tmp_path / "export.csv"
    resaved.write_text(text.replace(";", ","), encoding="utf-8-sig")  # the one comma in a value is quoted
    report = file_import.run(imports, resaved, "imports")
    assert (report.fmt.encoding, report.fmt.delimiter) == ("utf-8-sig", ",")
    assert (report.stored, report.skipped_known) == (0, 3)


def test_a_row_repeated_in_the_file_is_stored_once(imports: Context, tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    row = "Marie,Hoffmann,marie.hoffmann@example.org\n"
    path.write_text("Vorname,Nachname,Email\n" + row + row + " Marie , Hoffmann,marie.hoffmann@example.org\n")
    report = file_import.run(imports, path, "imports")
    assert (report.rows, report.stored, report.skipped_known) == (3, 1, 2)  # surrounding spaces do not count


def test_progress_is_called_once_per_row_good_or_bad(imports: Context) -> None:
    calls: list[int] = []
    file_import.run(imports, FIXTURES / "leads_bad_rows.csv", "imports", progress=calls.append)
    assert calls == [1] * 8


def test_each_stored_row_is_queued_for_the_pipeline(imports: Context, dispatcher: Any) -> None:
    file_import.run(imports, FIXTURES / "leads_en.csv", "imports")
    with imports.db.session() as session:
        raws = session.scalars(select(RawRecord)).all()
    assert sorted(dispatcher.raw) == sorted(raw.id for raw in raws)
    assert {(raw.kind, raw.source, raw.status, raw.content_type) for raw in raws} == {
        ("record", "file_import", "pending", "application/json")
    }
    assert sorted(raw.external_id for raw in raws) == ["L-1001", "L-1002", "L-1003"]


def test_connection_settings_override_detection_and_name_consent_columns(ctx: Context, tmp_path: Path) -> None:
    settings = {"encoding": "latin-1", "delimiter": "|", "consent_columns": "Talentpool=talent_pool"}
    connections.create(ctx, "fair", "file_import", settings)
    path = tmp_path / "messe.txt"
    path.write_bytes("Name|E-Mail|Talentpool\nJürgen Weiß|jw@example.org|x\n".encode("latin-1"))
    report = file_import.run(ctx, path, "fair")
    assert (report.fmt.encoding, report.fmt.delimiter, report.stored) == ("latin-1", "|", 1)
    assert bodies(ctx)[0]["_consents"] == [
        {"purpose": "talent_pool", "granted": True, "source": "file_import", "legal_basis": "consent"}
    ]


def test_a_delimiter_setting_of_more_than_one_character_is_refused(ctx: Context) -> None:
    connections.create(ctx, "fair", "file_import", {"delimiter": ";;"})
    with pytest.raises(sniff.FileRejected, match="must be one character"):
        file_import.run(ctx, FIXTURES / "leads_en.csv", "fair")


def test_a_header_without_any_contact_column_is_refused_before_any_row(imports: Context, tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_text("Vorname,Nachname,Kontakt\nJonas,Becker,jonas@example.org\n", encoding="utf-8")
    with pytest.raises(sniff.FileRejected, match=r"No column of leads\.csv holds an email address") as caught:
        file_import.run(imports, path, "imports")
    assert "vorname, nachname, kontakt" in str(caught.value) and "e_mail" in str(caught.value)
    assert count(imports, RawRecord) == 0


def test_only_a_file_import_connection_accepts_files(ctx: Context) -> None:
    connections.create(ctx, "careers", "form_webhook", {}, {"signing_secret": "s"})
    with pytest.raises(ConfigurationError, match="is a form_webhook connection"):
        file_import.run(ctx, FIXTURES / "leads_en.csv", "careers")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("leads.xlsx", b"PK\x03\x04" + b"\x00" * 64, "is a spreadsheet file, not CSV or JSONL"),
        ("leads.csv", b"PK\x03\x04" + b"\x00" * 64, "most likely an Excel workbook (.xlsx)"),
        ("leads.csv", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "Excel 97–2003 workbook (.xls)"),
        ("leads.csv", b"\x7fELF\x02\x01\x01\x00\x00\x00", "contains binary data (a NUL byte at byte 7)"),
        ("leads.csv", b"\n\n", "is empty"),
        ("leads.json", b'[{"email": "a@example.org"}]', "is a JSON array, not JSON Lines"),
        ("leads.csv", b"Vorname;E-Mail\n", None),  # a header alone is fine: nothing to import
    ],
)
def test_wrong_file_types_get_a_message_that_says_what_to_do(
    imports: Context, tmp_path: Path, name: str, content: bytes, message: str | None
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    if message is None:
        assert file_import.run(imports, path, "imports").rows == 0
        return
    with pytest.raises(sniff.FileRejected, match=re.escape(message)):
        file_import.run(imports, path, "imports")


def test_a_huge_binary_file_is_refused_at_once_without_reading_it(imports: Context, tmp_path: Path) -> None:
    path = tmp_path / "video.csv"
    with path.open("wb") as handle:
        handle.truncate(60 * 1024 * 1024)  # 60 MB of NUL bytes (sparse), far more than is ever read
    with pytest.raises(sniff.FileRejected, match="binary data"):
        file_import.run(imports, path, "imports")


def test_bytes_the_detected_encoding_cannot_read_fail_only_their_row(imports: Context, tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    note = "Schichtdienst möglich. " * 20
    good = "Vorname,E-Mail,Bemerkung\n" + "".join(f"Jonas,jonas{n}@example.org,{note}\n" for n in range(2_500))
    path.write_bytes(good.encode() + "Jürgen,jw@example.org,\n".encode("cp1252"))  # after the sniffed megabyte
    assert path.stat().st_size > sniff.SAMPLE_BYTES
    report = file_import.run(imports, path, "imports")
    assert report.fmt.encoding == "utf-8" and report.stored == 2_500
    assert [p.line for p in report.problems] == [2_502]
    assert "(fc)" in report.problems[0].reason and "save it again as CSV UTF-8" in report.problems[0].reason


@pytest.fixture
def cli(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Any:
    for key, value in settings.as_env().items():
        monkeypatch.setenv(key, value)

    def invoke(*args: str) -> Any:
        return CliRunner().invoke(main, list(args))

    return invoke


def test_cli_imports_a_file_end_to_end_and_lists_bad_rows(cli: Any, settings: Settings) -> None:
    assert cli("connections", "add", "messe", "--platform", "file_import").exit_code == 0
    result = cli("import", str(FIXTURES / "leads_bad_rows.csv"), "--connection", "messe")
    assert result.exit_code == 0, result.output
    assert "8 rows read; 3 new stored and queued for processing, 0 already imported, 5 bad" in result.stdout
    assert "  line 3: column e_mail (person.email)" in result.stderr
    assert "  line 5: has 3 columns, the header has 6" in result.stderr
    assert "Importing leads_bad_rows.csv: 8 records" in result.stderr
    with Context.build(settings).db.session() as session:
        assert session.scalar(select(func.count()).select_from(RawRecord)) == 3
    again = cli("import", str(FIXTURES / "leads_bad_rows.csv"), "--connection", "messe")
    assert "0 new stored and queued for processing, 3 already imported, 5 bad" in again.stdout


def test_cli_explains_an_excel_file_instead_of_a_traceback(cli: Any, tmp_path: Path) -> None:
    assert cli("connections", "add", "messe", "--platform", "file_import").exit_code == 0
    path = tmp_path / "Bewerber.csv"
    path.write_bytes(b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 200)
    result = cli("import", str(path), "--connection", "messe")
    assert result.exit_code == 1
    assert "Excel workbook" in result.output and "CSV UTF-8" in result.output
    assert "Traceback" not in result.output


def test_cli_names_an_unknown_connection(cli: Any) -> None:
    result = cli("import", str(FIXTURES / "leads_en.csv"), "--connection", "nope")
    assert result.exit_code == 1 and "No connection named 'nope'" in result.output
