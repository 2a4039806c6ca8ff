"""The official Jupyter kernel conformance suite (jupyter_kernel_test) against the installed
`drydock` kernelspec. Every test of the suite has a sample here, so none is skipped for lack of one.

Run with Debian's system Python (it has jupyter_client and jupyter_kernel_test):
    JUPYTER_PATH=<prefix>/share/jupyter /usr/bin/python3 -m unittest -v conformance
"""
import unittest

import jupyter_kernel_test


class DrydockConformance(jupyter_kernel_test.KernelTests):
    kernel_name = "drydock"
    language_name = "java"
    file_extension = ".java"

    code_hello_world = 'System.out.println("hello, world");'
    code_stderr = 'System.err.println("oops");'

    # The suite compares the set of matches exactly, so each sample has a single completion.
    completion_samples = [
        {"text": "Integer.MAX_V", "matches": {"MAX_VALUE"}},
        {"text": "%lsmag", "matches": {"%lsmagic"}},
        {"text": "%%writef", "matches": {"%%writefile"}},
    ]

    complete_code_samples = ["1 + 1", "int x = 1;", "%lsmagic", "%%bash\nfor i in 1 2; do echo $i; done\n\n"]
    incomplete_code_samples = ["for (int i = 0; i < 3; i++) {", "String s = \"\"\"\nabc", "%%bash\necho x"]
    invalid_code_samples = ["int x = 1;)"]

    code_page_something = "String.valueOf?"

    code_generate_error = 'throw new IllegalStateException("boom");'

    code_execute_result = [
        {"code": "6 * 7", "result": "42"},
        {"code": '"dry" + "dock"', "result": "drydock"},
        {"code": "java.util.List.of(1, 2)", "result": "[1, 2]"},
    ]

    code_display_data = [
        {"code": 'display("text/html", "<b>dry</b>");', "mime": "text/html"},
        {"code": 'display("text/markdown", "**dock**");', "mime": "text/markdown"},
    ]

    supported_history_operations = ("tail", "range", "search")
    code_history_pattern = "6 ?*"

    code_inspect_sample = "String.valueOf"

    code_clear_output = "clearOutput();"


if __name__ == "__main__":
    unittest.main()
