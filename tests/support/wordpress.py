"""A real WordPress for tests: Debian's ``wordpress`` package served by ``php -S`` on 127.0.0.1.

Each session gets its own database and user on the local MariaDB, its own document root (a
folder of symlinks into /usr/share/wordpress with its own wp-config.php and wp-content), and
an install made with php-cli through WordPress's own wp_install(). It has an author account
(no unfiltered_html, so kses filters its posts as it would a real editor's) with an
application password; application passwords need HTTPS unless the environment type is
"local", which wp-config.php sets. ``./dev test`` installs the packages (wordpress,
php-cli, php-mysql, and php-xml for xmlrpc.php); without them these tests fail, they never
skip.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

WORDPRESS = Path("/usr/share/wordpress")
MYSQL_HOST = os.environ.get("SYNCD_TEST_MYSQL_HOST", "127.0.0.1")
MYSQL_PORT = os.environ.get("SYNCD_TEST_MYSQL_PORT", "3306")
CATEGORIES = ("Tin tức", "Chuyển đổi số", "Thông báo")

_ROUTER = """<?php
// Every request runs with this folder as ABSPATH, so wp-load.php reads our wp-config.php.
define('ABSPATH', __DIR__ . '/');
$path = parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH);
$file = realpath(__DIR__ . $path);
if ($path !== '/' && $file !== false && is_file($file) && substr($file, -4) !== '.php') {
    return false;
}
if ($file !== false && is_dir($file) && is_file($file . '/index.php')) {
    $file = $file . '/index.php';
}
if ($file === false || !is_file($file) || substr($file, -4) !== '.php') {
    $file = __DIR__ . '/index.php';
}
$_SERVER['SCRIPT_FILENAME'] = $file;
chdir(dirname($file));
require $file;
"""

_CONFIG = """<?php
define('DB_NAME', '{db}');
define('DB_USER', '{db}');
define('DB_PASSWORD', '{db_password}');
define('DB_HOST', '{mysql}');
define('DB_CHARSET', 'utf8mb4');
define('WP_HOME', '{base}');
define('WP_SITEURL', '{base}');
define('WP_CONTENT_DIR', '{root}/wp-content');
define('WP_CONTENT_URL', '{base}/wp-content');
define('WP_ENVIRONMENT_TYPE', 'local');
define('DISABLE_WP_CRON', true);
define('AUTOMATIC_UPDATER_DISABLED', true);
define('WP_HTTP_BLOCK_EXTERNAL', true);
{keys}
$table_prefix = 'wp_';
require_once ABSPATH . 'wp-settings.php';
"""

_INSTALL = """<?php
define('ABSPATH', $argv[1]);
define('WP_INSTALLING', true);
$_SERVER['HTTP_HOST'] = $argv[2];
$_SERVER['REQUEST_URI'] = '/';
function wp_mail() { return true; }  // no mail server here; pluggable.php keeps this one
require ABSPATH . 'wp-load.php';
require ABSPATH . 'wp-admin/includes/upgrade.php';
$input = json_decode(file_get_contents('php://stdin'), true);
wp_install('syncd test', 'admin', 'admin@example.org', false, '', $input['admin_password']);
update_option('permalink_structure', '/%postname%/');
flush_rewrite_rules(false);
$author = wp_insert_user(array(
    'user_login' => 'syncd', 'user_pass' => $input['author_password'],
    'user_email' => 'syncd@example.org', 'role' => 'author', 'display_name' => 'syncd',
));
foreach ($input['categories'] as $name) { wp_insert_term($name, 'category'); }
list($password) = WP_Application_Passwords::create_new_application_password(
    $author, array('name' => 'syncd tests'));
echo json_encode(array('author_app_password' => $password));
"""


class WordPressUnavailable(RuntimeError):
    """The packages or the database server the tests need are missing."""


@dataclass(frozen=True)
class WordPressSite:
    base_url: str
    username: str  # an author: kses filters what it writes
    app_password: str
    admin_password: str
    root: Path

    @property
    def api_root(self) -> str:
        return self.base_url + "/wp-json/"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _sql(statement: str) -> None:
    command = ["mariadb", "-h", MYSQL_HOST, "-P", MYSQL_PORT, "-u", "root", "-e", statement]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise WordPressUnavailable(f"MariaDB at {MYSQL_HOST}:{MYSQL_PORT}: {done.stderr.strip()}")


def _document_root(root: Path, config: str) -> None:
    for entry in WORDPRESS.iterdir():
        if entry.name not in ("wp-config.php", "wp-content"):
            (root / entry.name).symlink_to(entry)
    content = root / "wp-content"
    (content / "uploads").mkdir(parents=True)
    for part in ("themes", "plugins"):
        (content / part).symlink_to(WORDPRESS / "wp-content" / part)
    (root / "wp-config.php").write_text(config)
    (root / "router.php").write_text(_ROUTER)


def _wait_until_up(base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise WordPressUnavailable(f"php -S exited with {server.returncode}")
        try:
            with urllib.request.urlopen(base + "/wp-json/", timeout=5) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise WordPressUnavailable(f"WordPress at {base} did not answer within 30 s")


def _stop(server: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()
    except ProcessLookupError:
        pass


@contextmanager
def running_wordpress() -> Iterator[WordPressSite]:
    """Install a fresh WordPress and serve it until the block ends; then drop everything."""
    if not (WORDPRESS / "wp-load.php").is_file() or shutil.which("php") is None:
        raise WordPressUnavailable(
            "Debian packages wordpress, php-cli, php-mysql and php-xml are needed"
            " (./dev test installs them)"
        )
    db = "syncd_wp_" + secrets.token_hex(4)
    db_password = secrets.token_hex(12)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    root = Path(tempfile.mkdtemp(prefix="syncd-wp-"))
    server: subprocess.Popen[bytes] | None = None
    _sql(
        f"CREATE DATABASE {db} CHARACTER SET utf8mb4; "
        f"CREATE USER '{db}'@'%' IDENTIFIED BY '{db_password}'; "
        f"GRANT ALL ON {db}.* TO '{db}'@'%';"
    )
    try:
        keys = "\n".join(
            f"define('{name}', '{secrets.token_hex(24)}');"
            for name in ("AUTH_KEY", "SECURE_AUTH_KEY", "LOGGED_IN_KEY", "NONCE_KEY",
                         "AUTH_SALT", "SECURE_AUTH_SALT", "LOGGED_IN_SALT", "NONCE_SALT")
        )  # fmt: skip
        mysql = f"{MYSQL_HOST}:{MYSQL_PORT}"
        config = _CONFIG.format(
            db=db, db_password=db_password, mysql=mysql, base=base, root=root, keys=keys
        )
        _document_root(root, config)
        (root / "install.php").write_text(_INSTALL)
        admin_password, author_password = secrets.token_hex(10), secrets.token_hex(10)
        request = {
            "admin_password": admin_password,
            "author_password": author_password,
            "categories": list(CATEGORIES),
        }
        done = subprocess.run(
            ["php", str(root / "install.php"), f"{root}/", f"127.0.0.1:{port}"],
            input=json.dumps(request).encode(),
            capture_output=True,
            check=False,
        )
        output = done.stdout.decode(errors="replace").strip().splitlines()
        if done.returncode != 0 or not output:
            raise WordPressUnavailable(f"wp_install failed: {done.stderr.decode()[-500:]}")
        installed = json.loads(output[-1])
        env = dict(os.environ, PHP_CLI_SERVER_WORKERS="4")
        server = subprocess.Popen(
            ["php", "-d", "upload_max_filesize=16M", "-d", "post_max_size=20M",
             "-S", f"127.0.0.1:{port}", "-t", str(root), str(root / "router.php")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
            start_new_session=True,  # its worker processes share the group, stopped together
        )  # fmt: skip
        _wait_until_up(base, server)
        yield WordPressSite(base, "syncd", installed["author_app_password"], admin_password, root)
    finally:
        if server is not None:
            _stop(server)
        _sql(f"DROP DATABASE IF EXISTS {db}; DROP USER IF EXISTS '{db}'@'%';")
        shutil.rmtree(root, ignore_errors=True)


_EVAL = """<?php
define('ABSPATH', $argv[1]);
$_SERVER['HTTP_HOST'] = $argv[2];
$_SERVER['REQUEST_URI'] = '/';
require ABSPATH . 'wp-load.php';
eval($argv[3]);
"""


def wp_eval(site: WordPressSite, php: str) -> str:
    """Run PHP inside the installed WordPress (as WordPress's own cron or an admin would),
    returning what it prints."""
    script = site.root / "syncd-eval.php"
    if not script.exists():
        script.write_text(_EVAL)
    host = site.base_url.removeprefix("http://")
    done = subprocess.run(
        ["php", str(script), f"{site.root}/", host, php], capture_output=True, check=False
    )
    if done.returncode != 0:
        raise WordPressUnavailable(f"php failed: {done.stderr.decode()[-500:]}")
    return done.stdout.decode()
