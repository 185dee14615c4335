"""deploy/: the Dockerfile, the compose file and the systemd unit, checked without Docker or systemd.

WHY: nothing here runs in the suite otherwise, and each file breaks silently — a folder added
to the code but not to the Dockerfile's COPY lines, a DATABASE_URL pointing at a service
renamed, a unit whose environment file the docs never mention. The health check script is
run for real against a real HTTP server, as Docker would run it.
"""

from __future__ import annotations

import asyncio
import configparser
import fnmatch
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import yaml
from aiohttp import web

from bot.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
DOCKERFILE = DEPLOY / "Dockerfile"
COMPOSE = DEPLOY / "compose.yaml"
UNIT = DEPLOY / "internship-bot.service"
HEALTHCHECK = DEPLOY / "healthcheck.py"
NOT_IN_IMAGE = {"tests", "bench", "docs", "deploy", "data"}
"""Top-level folders the bot does not run from (deploy/ gives the image its health check only)."""

_VAR = re.compile(r"\$\{(\w+)(?::?[?-][^}]*)?\}")


# --- Dockerfile ---------------------------------------------------------------------------------

def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    result: list[tuple[str, str]] = []
    pending = ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = pending + line, ""
        word, _, rest = line.partition(" ")
        result.append((word.upper(), rest.strip()))
    return result


def copy_sources() -> list[str]:
    sources = []
    for word, args in dockerfile_instructions():
        if word == "COPY":
            parts = [p for p in shlex.split(args) if not p.startswith("--")]
            sources.extend(parts[:-1])
    return sources


def dockerignored(path: str) -> bool:
    """Docker's rule, simplified to what .dockerignore uses: the last matching pattern wins."""
    ignored = False
    path = path.rstrip("/")
    prefixes = [str(Path(*Path(path).parts[: i + 1])) for i in range(len(Path(path).parts))]
    for raw in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        pattern = line.lstrip("!").rstrip("/").removeprefix("**/")
        if any(fnmatch.fnmatch(p, pattern) or fnmatch.fnmatch(Path(p).name, pattern) for p in prefixes):
            ignored = not negate
    return ignored


def test_dockerfile_copies_existing_files_and_every_folder_the_bot_runs_from() -> None:
    instructions = dockerfile_instructions()
    assert instructions[0] == ("FROM", "python:3.11-slim")
    sources = copy_sources()
    assert sources, "the Dockerfile copies nothing"
    for source in sources:
        assert (ROOT / source).exists(), f"COPY {source}: no such file in the repository"
        assert not dockerignored(source), f"COPY {source}: excluded by .dockerignore"
    copied = {Path(s).parts[0] for s in sources}
    packages = {p.name for p in ROOT.iterdir() if (p / "__init__.py").exists()} - NOT_IN_IMAGE
    # locales/ is no package but the texts are read from it (bot/i18n.py); README.md is the
    # project's readme in pyproject.toml, without which pip cannot build it
    needed = packages | {"locales", "pyproject.toml", "README.md"}
    assert needed <= copied, f"not copied into the image: {sorted(needed - copied)}"


def test_dockerfile_runs_the_bot_as_a_user_with_a_data_volume() -> None:
    instructions = dockerfile_instructions()
    words = [w for w, _ in instructions]
    cmd = [a for w, a in instructions if w == "CMD"][-1]
    assert json.loads(cmd) == ["python", "-m", "bot", "run"]
    assert "ENTRYPOINT" not in words
    user = [a for w, a in instructions if w == "USER"]
    assert user and user[-1] not in ("root", "0"), "the bot must not run as root"
    assert words.index("USER") < words.index("CMD")
    workdir = [a for w, a in instructions if w == "WORKDIR"][-1]
    volumes = [json.loads(a) for w, a in instructions if w == "VOLUME"]
    # the default DATABASE_PATH (data/…, relative to the working directory) is on the volume
    assert [f"{workdir}/data"] in volumes
    health = [a for w, a in instructions if w == "HEALTHCHECK"]
    assert health and "deploy/healthcheck.py" in health[0]
    assert "deploy/healthcheck.py" in copy_sources()


def test_the_dependency_step_of_the_dockerfile_lists_pyprojects_dependencies() -> None:
    """The RUN line that turns pyproject.toml into requirements, run here on the real file."""
    run = next(a for w, a in dockerfile_instructions() if w == "RUN" and "tomllib" in a)
    snippet = re.search(r'python -c "(.+?)"\s*>', run)
    assert snippet is not None
    out = subprocess.run([sys.executable, "-c", snippet.group(1)], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout.split("\n")
    import tomllib

    wanted = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    assert [line for line in out if line] == wanted


def test_dockerignore_keeps_secrets_and_local_state_out_of_the_image() -> None:
    for path in (".env", ".env.local", ".venv", "data", "data/internbot.sqlite3", ".git",
                 "bot/__pycache__", "tests"):
        assert dockerignored(path), f"{path} would be sent to the Docker build"
    assert not dockerignored("deploy/healthcheck.py")


# --- compose.yaml -------------------------------------------------------------------------------

def interpolate(value: str, env: dict[str, str]) -> str:
    return _VAR.sub(lambda m: env[m.group(1)], value)


def test_compose_runs_the_bot_on_the_postgres_service() -> None:
    compose = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    services = compose["services"]
    assert {"bot", "db"} <= set(services)
    db, bot = services["db"], services["bot"]
    assert db["image"] == "postgres:15"
    volume, _, target = db["volumes"][0].partition(":")
    assert target == "/var/lib/postgresql/data" and volume in compose["volumes"], "a named volume"
    for name, service in services.items():
        assert service.get("restart") in ("always", "unless-stopped", "on-failure"), name

    env = {"POSTGRES_PASSWORD": "s3cret"}
    url = urlsplit(interpolate(bot["environment"]["DATABASE_URL"], env))
    db_env = {k: interpolate(v, env) for k, v in db["environment"].items()}
    assert url.scheme == "postgresql"
    assert url.hostname == "db" and url.port == 5432
    assert url.username == db_env["POSTGRES_USER"] and url.password == db_env["POSTGRES_PASSWORD"]
    assert url.path.lstrip("/") == db_env["POSTGRES_DB"]
    assert bot["depends_on"]["db"]["condition"] == "service_healthy" and "healthcheck" in db

    assert (DEPLOY / bot["env_file"]).resolve() == ROOT / ".env"
    context = (DEPLOY / bot["build"]["context"]).resolve()
    assert context == ROOT and (context / bot["build"]["dockerfile"]).resolve() == DOCKERFILE


def test_the_standby_instance_is_the_same_bot_behind_a_profile() -> None:
    services = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))["services"]
    standby = [name for name, s in services.items() if "standby" in s.get("profiles", [])]
    assert len(standby) == 1
    second = dict(services[standby[0]])
    assert second.pop("profiles") == ["standby"]
    second.pop("ports", None)
    bot = {k: v for k, v in services["bot"].items() if k != "ports"}
    assert second == bot, "the second instance must run with the same settings and database"
    assert all(not s.get("profiles") for name, s in services.items() if name != standby[0])


# --- health check -------------------------------------------------------------------------------

async def _healthcheck(listen: str | None) -> int:
    env = {k: v for k, v in os.environ.items() if k != "WEB_LISTEN"}
    if listen is not None:
        env["WEB_LISTEN"] = listen
    proc = await asyncio.create_subprocess_exec(sys.executable, str(HEALTHCHECK), env=env,
                                                stderr=asyncio.subprocess.DEVNULL)
    return await proc.wait()


async def _serve(status: int) -> tuple[web.AppRunner, int]:
    app = web.Application()

    async def healthz(request: web.Request) -> web.Response:
        return web.Response(status=status, text="ok" if status == 200 else "not ready")

    app.router.add_get("/healthz", healthz)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, int(runner.addresses[0][1])


async def test_healthcheck_asks_healthz_only_when_the_panel_listens() -> None:
    assert await _healthcheck(None) == 0, "no WEB_LISTEN: nothing to ask, healthy"
    assert await _healthcheck("") == 0
    runner, port = await _serve(200)
    try:
        assert await _healthcheck(f"127.0.0.1:{port}") == 0
        assert await _healthcheck(f"0.0.0.0:{port}") == 0, "any-address is asked on the loopback"
    finally:
        await runner.cleanup()
    assert await _healthcheck(f"127.0.0.1:{port}") == 1, "nobody listening"
    runner, port = await _serve(503)
    try:
        assert await _healthcheck(f"0.0.0.0:{port}") == 1
    finally:
        await runner.cleanup()


# --- systemd unit -------------------------------------------------------------------------------

def unit() -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(UNIT.read_text(encoding="utf-8"))
    return parser


def test_unit_starts_the_bot_hardened_with_its_data_dir_writable() -> None:
    service = unit()["Service"]
    exec_start = shlex.split(service["ExecStart"])
    assert exec_start[0].endswith("/.venv/bin/python") and Path(exec_start[0]).is_absolute()
    assert exec_start[1:] == ["-m", "bot", "run"]
    assert service["User"] not in ("root", "0")
    assert service["Restart"] == "on-failure"
    assert service["NoNewPrivileges"] == "yes"
    assert service["ProtectSystem"] == "strict"
    assert service["PrivateTmp"] == "yes"
    # the default DATABASE_PATH is relative: from the working directory it must land in a
    # directory the service may write under ProtectSystem=strict, and the code must not
    workdir = Path(service["WorkingDirectory"])
    assert workdir == Path("/var/lib") / service["StateDirectory"]
    writable = [Path(p) for p in service["ReadWritePaths"].split()]
    default_db = Settings.model_fields["database_path"].default
    assert not default_db.is_absolute()
    assert any((workdir / default_db).is_relative_to(p) for p in writable)
    assert not any(Path(exec_start[0]).is_relative_to(p) for p in writable)
    assert unit()["Install"]["WantedBy"] == "multi-user.target"


def test_units_environment_file_is_documented() -> None:
    env_file = unit()["Service"]["EnvironmentFile"].lstrip("-")
    for doc in (ROOT / "README.md", ROOT / "docs" / "deployment.md"):
        assert env_file in doc.read_text(encoding="utf-8"), f"{doc.name} does not name {env_file}"


def test_systemd_accepts_the_unit(tmp_path: Path) -> None:
    """`systemd-analyze verify` where systemd is installed; its ExecStart pointed at this venv."""
    tool = shutil.which("systemd-analyze")
    service = unit()["Service"]
    python = shlex.split(service["ExecStart"])[0]
    copy = tmp_path / UNIT.name
    copy.write_text(UNIT.read_text(encoding="utf-8").replace(python, sys.executable), encoding="utf-8")
    if tool is None:
        # no systemd on this machine: the parse above is all that can be checked
        assert unit().has_section("Service")
        return
    result = subprocess.run([tool, "verify", str(copy)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


# --- the documented settings exist --------------------------------------------------------------

def test_settings_the_deploy_files_set_are_in_env_example() -> None:
    """No invented setting: every bot setting deploy/ names is one .env.example documents."""
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M))
    compose = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    named = set(compose["services"]["bot"]["environment"])
    named |= {item.split("=", 1)[0] for item in shlex.split(unit()["Service"].get("Environment", ""))}
    assert named <= documented, f"not in .env.example: {sorted(named - documented)}"
