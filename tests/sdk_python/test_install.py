"""`pip install ./sdk/python` into a fresh virtualenv gives a working `cloudsignal` command."""

import subprocess
import sys

from tests.sdk_python.conftest import clean_environment
from tests.support.processes import ROOT


def test_pip_install_into_a_fresh_virtualenv(tmp_path, sdk_stack, org):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    install = subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "--disable-pip-version-check",
                              "./sdk/python"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert install.returncode == 0, install.stderr

    env = clean_environment(PATH=f"{venv / 'bin'}:/usr/bin:/bin", XDG_CONFIG_HOME=str(tmp_path / "config"))
    helped = subprocess.run(["cloudsignal", "--help"], env=env, capture_output=True, text=True)
    assert helped.returncode == 0 and "cloudsignal users create" in helped.stdout
    # the installed command talks to the service
    listed = subprocess.run(["cloudsignal", "org", "show", "--json"], capture_output=True, text=True,
                            env={**env, "CLOUDSIGNAL_API_KEY": org["key"], "CLOUDSIGNAL_API_URL": sdk_stack.service.url})
    assert listed.returncode == 0, listed.stderr
    assert org["org_id"] in listed.stdout
    # and the package is typed
    typed = subprocess.run([str(venv / "bin" / "python"), "-c",
                            "import cloudsignal, pathlib; print((pathlib.Path(cloudsignal.__file__).parent / 'py.typed').exists())"],
                           capture_output=True, text=True)
    assert typed.stdout.strip() == "True"
