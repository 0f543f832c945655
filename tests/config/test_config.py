"""Configuration: the example is valid; each kind of mistake is refused with its key path."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import BaseModel

from syncd.config import parse_config
from syncd.config.durations import format_duration
from syncd.config.load import load_config
from syncd.config.model import Config
from syncd.config.secrets import SecretRef
from syncd.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "config" / "syncd.example.toml"

BASE = """
[[units]]
key = "kon-ray"
name = "Huyện Kon Rẫy"
level = "district"

[[units]]
key = "dak-ruong"
name = "Xã Đăk Ruồng"
level = "commune"
parent = "kon-ray"

[[sites]]
key = "konray"
unit = "kon-ray"
kind = "dnn"
base_url = "https://konray.example"
"""


def test_example_is_valid() -> None:
    config = load_config(EXAMPLE)
    assert {u.key for u in config.units} >= {"kon-ray", "dak-ruong"}
    assert config.site("konray").credentials is not None


@pytest.mark.parametrize(
    ("extra", "path", "words"),
    [
        ("[daemon]\nlisten_port = 1\n", "daemon.listen_port", "unknown key"),
        (
            '[[sites]]\nkey="x"\nunit="kon-ray"\nkind="dnn"\nbase_url="https://x"\ncolour="red"\n',
            "sites[1].colour",
            "unknown key",
        ),
        ('[daemon]\nconcurrency = "many"\n', "daemon.concurrency", "expected an integer"),
        (
            '[[sites]]\nkey="x"\nunit="kon-ray"\nkind="dnn"\nbase_url="https://x"\n'
            'options = { content_selector = "div[[[" }\n',
            "sites[1].options.content_selector",
            "invalid CSS selector 'div[[['",
        ),
        (
            '[[sites]]\nkey="x"\nunit="kon-ray"\nkind="dnn"\nbase_url="https://x"\n'
            'options = { content_selector = "//div[" }\n',
            "sites[1].options.content_selector",
            "invalid XPath '//div['",
        ),
        (
            '[[sites]]\nkey="x"\nunit="kon-ray"\nkind="dnn"\nbase_url="https://x"\n'
            'options = { blog_modules = ["56-412"] }\n',
            "sites[1].options.blog_modules",
            "expected 'tabid:moduleid', got '56-412'",
        ),
        (
            '[[sites]]\nkey="x"\nunit="kon-ray"\nkind="feed"\nbase_url="https://x"\n',
            "sites[1]",
            "options.feeds: a feed site needs at least one feed URL",
        ),
        ('[daemon]\nlisten = "8470"\n', "daemon.listen", "expected host:port"),
        ('[[units]]\nkey="u3"\nname="U"\nlevel=3\n', "units[2].level", "expected a string"),
        (
            '[[sites]]\nkey="x"\nunit="nowhere"\nkind="dnn"\nbase_url="https://x"\n',
            "sites[1].unit",
            "no unit with key 'nowhere'",
        ),
        (
            '[[sites]]\nkey="konray"\nunit="kon-ray"\nkind="dnn"\nbase_url="https://y"\n',
            "sites[1].key",
            "duplicate key 'konray'",
        ),
        (
            '[[sites]]\nkey="x"\nunit="kon-ray"\nkind="dnn"\nbase_url="https://x"\n'
            'credentials = { username = "a", password = "hunter2" }\n',
            "sites[1].credentials.password",
            "must not be written inline",
        ),
        (
            '[[backup_targets]]\nkey="t"\nkind="s3"\nendpoint="https://s3"\nbucket="b"\n'
            'secret_key = "abc"\n',
            "backup_targets[0].secret_key",
            "must not be written inline",
        ),
        (
            '[[sites]]\nkey="x"\nunit="kon-ray"\nkind="joomla"\nbase_url="https://x"\n',
            "sites[1].kind",
            "expected 'dnn' or 'feed'",
        ),
        (
            '[[sites]]\nkey="x"\nunit="kon-ray"\nkind="dnn"\nbase_url="ftp://x"\n',
            "sites[1].base_url",
            "expected an http(s) URL",
        ),
        (
            '[[routes]]\nkey="r"\nfrom_sites=["ghost"]\nto={relation="children"}\n',
            "routes[0].from_sites",
            "no site with key 'ghost'",
        ),
        (
            '[[sites]]\nkey="x"\nunit="kon-ray"\nkind="dnn"\nbase_url="https://x"\nschedule="often"\n',
            "sites[1].schedule",
            "expected a duration",
        ),
        (
            '[[sites]]\nkey="x"\nunit="kon-ray"\nkind="dnn"\nbase_url="http://[::1"\n',
            "sites[1].base_url",
            "not a valid URL",
        ),
        (
            '[[sites]]\nkey="x"\nunit="kon-ray"\nkind="dnn"\nbase_url="https://x:0"\n',
            "sites[1].base_url",
            "the port must be a number from 1 to 65535",
        ),
        (
            '[[sites]]\nkey="x"\nunit="kon-ray"\nkind="dnn"\nbase_url="https://a_b-.-c"\n',
            "sites[1].base_url",
            "is not a valid host name",
        ),
        (
            '[[sites]]\nkey="x"\nunit="kon-ray"\nkind="dnn"\nbase_url="https://x"\n'
            'options = { feeds = ["/rss.aspx?a=1", "https://x/feed\\t"] }\n',
            "sites[1].options.feeds",
            "contains the control character '\\t'",
        ),
        (
            '[[sites]]\nkey="x"\nunit="kon-ray"\nkind="dnn"\nbase_url="https://x"\n'
            'schedule="9s"\n',
            "sites[1].schedule",
            "must be at least 10s, got 9s",
        ),
        ('[daemon]\nlisten = "[::1:8470"\n', "daemon.listen", "is not a valid IP address"),
        ('[daemon]\npoliteness_delay = 1\n', "daemon.politeness_delay", "expected a duration"),
        (
            '[daemon]\nstore_url = "postgresql+asyncpg://db.example:0/syncd"\n',
            "daemon.store_url",
            "the port must be a number from 1 to 65535, got 0",
        ),
        ('[daemon]\nstore_url = "mysql://db/syncd"\n', "daemon.store_url", "expected postgresql"),
        ('[alerting]\nstale_after = "1m"\n', "alerting.stale_after", "at least 5m, got 1m"),
        ('[alerting]\nrepeat_every = "30s"\n', "alerting.repeat_every", "at least 1m (or 0s)"),
        (
            '[[backup_targets]]\nkey="t"\nkind="s3"\nendpoint="http://s3:99999"\nbucket="b"\n',
            "backup_targets[0].endpoint",
            "the port must be a number from 1 to 65535",
        ),
        (
            '[[backup_targets]]\nkey="t"\nkind="local"\npath="/b"\nretention={within="5m"}\n',
            "backup_targets[0].retention.within",
            "must be at least 1h, got 5m",
        ),
        (
            '[[units]]\nkey="old"\nname="O"\nlevel="x"\ndissolved=true\nsuccessor="ghost"\n',
            "units[2].successor",
            "no unit with key 'ghost'",
        ),
    ],
)
def test_refusals_name_the_key(extra: str, path: str, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(BASE + extra)
    assert caught.value.path == path
    assert words in caught.value.problem
    assert "\n" not in str(caught.value)


def test_cycle_in_unit_tree() -> None:
    text = BASE.replace('level = "district"', 'level = "district"\nparent = "dak-ruong"')
    with pytest.raises(ConfigError) as caught:
        parse_config(text)
    assert caught.value.path == "units[0].parent"
    assert "cycle" in caught.value.problem and "kon-ray" in caught.value.problem


def test_successors_must_not_come_back() -> None:
    dissolved = '[[units]]\nkey="{0}"\nname="{0}"\nlevel="x"\ndissolved=true\nsuccessor="{1}"\n'
    with pytest.raises(ConfigError) as caught:
        parse_config(BASE + dissolved.format("a", "a"))
    assert (caught.value.path, caught.value.problem) == (
        "units[2].successor",
        "the chain of successors has a cycle: a -> a",
    )
    text = BASE + "".join(dissolved.format(k, s) for k, s in [("a", "b"), ("b", "c"), ("c", "a")])
    with pytest.raises(ConfigError) as caught:
        parse_config(text)
    assert caught.value.problem == "the chain of successors has a cycle: a -> b -> c -> a"
    chain = [("a", "b"), ("b", "c"), ("c", "kon-ray")]
    config = parse_config(BASE + "".join(dissolved.format(k, s) for k, s in chain))
    assert config.unit("a").successor == "b"


def test_durations_are_parsed_once_and_written_back_the_same() -> None:
    config = parse_config(
        BASE + '[alerting]\ncheck_every = "90s"\nrepeat_every = "0s"\nsilent_after = "30d"\n'
    )
    assert config.site("konray").schedule == timedelta(minutes=15)
    assert config.alerting.check_every == timedelta(seconds=90)
    assert config.alerting.repeat_every == timedelta(0)
    written = [format_duration(timedelta(seconds=n)) for n in (90, 30 * 86400, 7200, 0)]
    assert written == ["90s", "30d", "2h", "0s"]
    assert config.model_dump(mode="json")["alerting"]["silent_after"] == "30d"


def test_addresses_that_are_fine() -> None:
    sites = "".join(
        f'[[sites]]\nkey="s{i}"\nunit="kon-ray"\nkind="dnn"\nbase_url="{url}"\n'
        for i, url in enumerate(
            ["https://xã-đăk.vn", "http://[::1]:8080/", "http://10.0.0.7:8000", "https://a.b/c/"]
        )
    )
    config = parse_config(
        BASE + sites + '[daemon]\nlisten = "[::1]:0"\n'
        'store_url = "postgresql+asyncpg://syncd@[::1]:5432/syncd"\n'
    )
    assert config.sites[-1].base_url == "https://a.b/c"


def test_unit_tree_may_have_any_levels_and_dissolved_units() -> None:
    text = BASE + (
        '[[units]]\nkey="old"\nname="Huyện cũ"\nlevel="district"\n'
        'dissolved=true\nsuccessor="kon-ray"\n'
        '[[units]]\nkey="w"\nname="Phường 1"\nlevel="ward"\nparent="dak-ruong"\n'
    )
    config = parse_config(text)
    assert config.unit("old").successor == "kon-ray"


def test_broken_toml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        parse_config("[daemon\n")
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "none.toml")


def test_secrets_resolve_from_env_file_and_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PW", "from-env")
    (tmp_path / "pw").write_text("from-file\n")
    creds = tmp_path / "creds"
    creds.mkdir()
    (creds / "pw").write_text("from-cred")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(creds))
    assert SecretRef(env="PW").reveal() == "from-env"
    assert SecretRef(file=tmp_path / "pw").reveal() == "from-file"
    assert SecretRef(credential="pw").reveal() == "from-cred"
    with pytest.raises(ConfigError, match="NOPE is not set"):
        SecretRef(env="NOPE").reveal("x.password")


def _fields(model: type[BaseModel]) -> set[str]:
    names: set[str] = set()
    for name, field in model.model_fields.items():
        names.add(name)
        assert field.description, f"{model.__name__}.{name} has no help text"
        for arg in (*getattr(field.annotation, "__args__", ()), field.annotation):
            inner = getattr(arg, "__args__", (arg,))
            for candidate in (*inner, arg):
                if (
                    isinstance(candidate, type)
                    and issubclass(candidate, BaseModel)
                    and (candidate is not SecretRef)
                ):
                    names |= _fields(candidate)
    return names


def test_every_setting_is_documented_in_the_example() -> None:
    """The settings registry: a setting without help text or example entry fails here."""
    example = EXAMPLE.read_text(encoding="utf-8")
    written = set(re.findall(r"^#?\s*([a-z_]+)\s*=", example, flags=re.M))
    written |= set(re.findall(r"[{,]\s*([a-z_]+)\s*=", example))
    written |= set(re.findall(r"^\[\[?([a-z_.]+)\]\]?", example, flags=re.M))
    written = {w.split(".")[-1] for w in written}
    missing = _fields(Config) - written
    assert not missing, f"settings missing from config/syncd.example.toml: {sorted(missing)}"
