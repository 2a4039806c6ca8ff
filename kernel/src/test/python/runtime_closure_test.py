"""Tests of docker/score/runtime_closure.py: which packages a slim scoring image gets. The dependency
walk runs on this machine's real dpkg database (Debian 12, like the images), and on hand-made graphs for
the choices a real database may not show. Standard library only:
    /usr/bin/python3 -m unittest -v runtime_closure_test
"""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

SERVER_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "docker", "score"))
sys.path.insert(0, SERVER_DIR)

import runtime_closure  # noqa: E402 - found through the path above


class NamesTest(unittest.TestCase):

    def test_a_relation_is_reduced_to_the_package_name(self):
        self.assertEqual("libc6", runtime_closure.names(" libc6 (>= 2.34)"))
        self.assertEqual("python3", runtime_closure.names("python3:any"))
        self.assertEqual("libblas.so.3", runtime_closure.names("libblas.so.3"))


class ClosureTest(unittest.TestCase):
    DEPENDS = {
        "python3-scipy": [["python3-numpy"], ["python3-pythran"], ["libblas3", "libblas.so.3"]],
        "python3-numpy": [["python3"], ["liblapack.so.3"]],
        "python3-pythran": [["g++"]],
        "g++": [],
        "python3": [],
        "libblas3": [],
        "libopenblas0-pthread": [],
    }
    PROVIDERS = {"libblas.so.3": ["libblas3", "libopenblas0-pthread"], "liblapack.so.3": ["libopenblas0-pthread"]}

    def closure(self, wanted, have=(), leave_out=()):
        return runtime_closure.closure(wanted, self.DEPENDS, self.PROVIDERS, set(have), set(leave_out))

    def test_follows_dependencies_and_virtual_names_but_not_what_is_left_out_or_already_there(self):
        self.assertEqual({"python3-scipy", "python3-numpy", "libblas3", "libopenblas0-pthread"},
                         self.closure(["python3-scipy"], have=["python3"], leave_out=["python3-pythran"]))

    def test_without_leaving_pythran_out_the_compiler_comes_along(self):
        self.assertIn("g++", self.closure(["python3-scipy"], have=["python3"]))

    def test_a_package_that_is_not_installed_is_an_error_naming_it(self):
        with self.assertRaises(SystemExit) as raised:
            self.closure(["python3-torch"])
        self.assertIn("python3-torch", str(raised.exception))


@unittest.skipUnless(shutil.which("dpkg-query"), "needs a Debian system's dpkg database")
class RealDatabaseTest(unittest.TestCase):

    def test_the_closure_of_an_installed_package_copies_its_files_and_status(self):
        depends, providers = runtime_closure.installed_packages()
        self.assertIn("python3", depends)
        everything_else = set(depends) - {"python3-minimal", "python3"}
        chosen = runtime_closure.closure(["python3"], depends, providers, everything_else, set())
        self.assertEqual({"python3", "python3-minimal"}, chosen, "python3 depends on python3-minimal")
        with tempfile.TemporaryDirectory() as into:
            copied = runtime_closure.copy_package("python3", into)
            self.assertIn("/usr/bin/pdb3", copied)
            self.assertTrue(os.path.islink(os.path.join(into, "usr/bin/pdb3")), "a link stays a link")
            with open(os.path.join(into, "var/lib/dpkg/status.d/python3")) as status:
                self.assertIn("Package: python3\n", status.read())

    def test_the_command_line_says_what_it_copied(self):
        with tempfile.TemporaryDirectory() as into:
            have = os.path.join(into, "have.txt")
            packages = subprocess.run(["dpkg-query", "-W", "-f", "${Package}\n"], check=True, capture_output=True,
                                      text=True).stdout
            with open(have, "w") as f:
                f.write(packages.replace("python3-minimal\n", ""))
            out = subprocess.run([sys.executable, os.path.join(SERVER_DIR, "runtime_closure.py"), "--into",
                                  os.path.join(into, "slim"), "--have", have, "--", "python3-minimal"],
                                 check=True, capture_output=True, text=True).stdout
            self.assertIn("copied 1 packages", out)
            self.assertIn("python3-minimal", out)
            self.assertTrue(os.path.isdir(os.path.join(into, "slim", "usr")))


if __name__ == "__main__":
    unittest.main()
