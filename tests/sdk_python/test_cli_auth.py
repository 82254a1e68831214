"""`cloudsignal auth login|status|logout`: the stored login, and CLOUDSIGNAL_API_KEY/_URL over it."""

import json
import stat

from tests.support.processes import free_port


# no key or URL in the environment: only the stored login can authenticate the CLI
NO_KEY = {"CLOUDSIGNAL_API_KEY": "", "CLOUDSIGNAL_API_URL": ""}


def test_login_stores_the_key_readable_by_its_owner_only(cli, sdk_stack, org):
    env = NO_KEY
    assert cli("users", "list", env=env).returncode == 4

    login = cli("auth", "login", "--api-key", org["key"], "--api-url", sdk_stack.service.url, env=env)
    assert login.returncode == 0, login.stderr
    assert f"Logged in to Org ({org['org_id']})" in login.stderr

    path = cli.config_path
    assert json.loads(path.read_text()) == {"api_key": org["key"], "api_url": sdk_stack.service.url}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700

    assert cli("users", "list", env=env).returncode == 0  # the stored login is used
    status = cli.json("auth", "status", env=env)
    assert status["source"] == "config file" and status["organization"]["id"] == org["org_id"]
    assert status["key"] == f"sk_...{org['key'][-4:]}"
    assert "source         config file" in cli("auth", "status", env=env).stdout

    # the environment wins over the file
    overridden = cli("auth", "status", env={"CLOUDSIGNAL_API_KEY": "sk_" + "z" * 40})
    assert overridden.returncode == 4 and "environment" in overridden.stderr
    assert cli("users", "list", env={"CLOUDSIGNAL_API_KEY": "", "CLOUDSIGNAL_API_URL": f"http://127.0.0.1:{free_port()}"}
               ).returncode == 1

    logout = cli("auth", "logout", env=env)
    assert logout.returncode == 0 and "Logged out" in logout.stderr
    assert not path.exists()
    after = cli("auth", "status", env=env)
    assert after.returncode == 4 and "not logged in" in after.stderr
    assert cli("users", "list", env=env).returncode == 4


def test_login_refuses_a_bad_key_and_stores_nothing(cli, sdk_stack):
    result = cli("auth", "login", "--api-key", "sk_" + "b" * 40, "--api-url", sdk_stack.service.url,
                 env=NO_KEY)
    assert result.returncode == 4
    assert "the API refused this key: invalid API key" in result.stderr
    assert not cli.config_path.exists()


def test_login_without_a_terminal_does_not_prompt(cli):
    result = cli("auth", "login", env=NO_KEY)
    assert result.returncode == 2
    assert "pass --api-key" in result.stderr


def test_login_to_an_unreachable_api_fails(cli, org):
    result = cli("auth", "login", "--api-key", org["key"], "--api-url", f"http://127.0.0.1:{free_port()}",
                 env=NO_KEY)
    assert result.returncode == 1 and "cannot reach" in result.stderr
    assert not cli.config_path.exists()
