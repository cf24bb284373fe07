"""The CDK's Jinja calls ``ast.literal_eval`` from worker threads; on CPython 3.11 that can raise SystemError
unless ``sync.pull`` serialises ``ast.parse`` (CPython gh-106905). This stress makes a thread switch land in
the middle of an AST conversion: garbage cycles with finalizers are collected there and run bytecode."""

from __future__ import annotations

import subprocess
import sys
import textwrap

STRESS = textwrap.dedent(
    """
    import ast, gc, sys, threading
    from sync.pull import _serialise_ast_parse
    if sys.argv[1] == "guarded":
        _serialise_ast_parse()
    errors = []

    class Finalised:
        def __del__(self):
            total = 0
            for i in range(50):
                total += i

    def work():
        for _ in range(4000):
            for _ in range(5):
                cycle = Finalised()
                cycle.self = cycle
            try:
                ast.literal_eval("{'a': [1, 2, {'b': (3, [4, 5, {'c': 6}])}], 'd': 'x'}")
            except SystemError as exc:
                errors.append(exc)
                return

    gc.set_threshold(50)
    sys.setswitchinterval(1e-6)
    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(len(errors))
    """
)


def _errors(mode: str) -> int:
    out = subprocess.run([sys.executable, "-c", STRESS, mode], capture_output=True, text=True, timeout=120, check=True)
    return int(out.stdout.strip())


def test_serialised_ast_parse_survives_concurrent_literal_eval() -> None:
    assert _errors("guarded") == 0


def test_guard_is_installed_by_the_cdk_import_and_only_once() -> None:
    import ast

    from sync import pull

    pull._import_cdk()
    first = ast.parse
    pull._import_cdk()
    assert ast.parse is first
    assert getattr(ast.parse, "_leadhub_serialised", False)
    assert ast.literal_eval("[1, {'a': (2, 3)}]") == [1, {"a": (2, 3)}]
