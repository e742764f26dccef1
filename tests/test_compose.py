"""docker-compose.yml: the production stack parses, wires its dependencies, and speaks settings' language."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
APP_SERVICES = ("migrate", "web", "worker")
CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load(COMPOSE_FILE.read_text())


def settings_env_vars() -> set[str]:
    source = (ROOT / "config" / "settings.py").read_text()
    return set(re.findall(r"env_(?:str|bool|int|list)\(\s*\"([A-Z0-9_]+)\"", source))


def test_it_has_the_production_services(compose):
    assert {"postgres", "redis", "minio", "createbucket", "migrate", "web", "worker"} <= set(
        compose["services"]
    )


def test_every_dependency_names_a_service_with_a_valid_condition(compose):
    services = compose["services"]
    for name, service in services.items():
        depends = service.get("depends_on", {})
        assert isinstance(depends, dict), f"{name}: use the long depends_on form with conditions"
        for dependency, spec in depends.items():
            assert dependency in services, f"{name} depends on unknown service {dependency}"
            assert spec["condition"] in CONDITIONS, f"{name} -> {dependency}: {spec['condition']}"
            if spec["condition"] == "service_healthy":
                assert "healthcheck" in services[dependency], f"{dependency} has no healthcheck"
            if spec["condition"] == "service_completed_successfully":
                assert services[dependency].get("restart") == "no", f"{dependency} must be one-shot"


def test_web_and_workers_start_after_migrations_on_healthy_backing_services(compose):
    services = compose["services"]
    for name in ("web", "worker"):
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
        for backing in ("postgres", "redis", "minio"):
            assert depends[backing]["condition"] == "service_healthy"
    assert services["migrate"]["depends_on"]["createbucket"]["condition"] == "service_completed_successfully"
    for name in ("postgres", "redis", "minio", "web", "worker"):
        assert services[name]["healthcheck"]["test"], name


def test_workers_can_be_scaled(compose):
    worker = compose["services"]["worker"]
    assert "container_name" not in worker
    assert "ports" not in worker  # a published port would clash between replicas
    assert worker["command"] == ["platform/worker.sh"]


def test_data_lives_in_named_volumes(compose):
    volumes = set(compose["volumes"])
    for service, target in (("postgres", "/var/lib/postgresql/data"), ("redis", "/data"), ("minio", "/data")):
        mounts = compose["services"][service]["volumes"]
        named = {m.split(":")[0] for m in mounts if m.endswith(":" + target)}
        assert named and named <= volumes, f"{service} keeps {target} in a named volume"


def test_the_web_server_reads_the_iiif_pyramids_the_workers_make_at_ingest(compose):
    # settings.IIIF_CACHE_DIR defaults to FINDCOLOR_VAR_DIR/iiif (the image sets /var/lib/findcolor)
    target = "/var/lib/findcolor/iiif"
    shared = [
        {m.split(":")[0] for m in compose["services"][name].get("volumes", []) if m.endswith(":" + target)}
        for name in ("web", "worker")
    ]
    assert shared[0] and shared[0] == shared[1] and shared[0] <= set(compose["volumes"])


def test_app_services_share_one_image_and_entrypoints_that_exist(compose):
    for name in APP_SERVICES:
        service = compose["services"][name]
        assert service["build"]["dockerfile"] == "platform/Dockerfile"
        assert (ROOT / service["build"]["dockerfile"]).is_file()
        script = ROOT / service["command"][0]
        assert script.is_file() and script.stat().st_mode & 0o111, f"{script} is not executable"


def test_app_environment_is_what_settings_read(compose):
    known = settings_env_vars()
    extra = {"LOAD_DEMO", "WORKER_CONCURRENCY"}  # read by platform/migrate.sh and platform/worker.sh
    for name in APP_SERVICES:
        environment = compose["services"][name]["environment"]
        unknown = set(environment) - known - extra
        assert not unknown, f"{name} sets variables settings.py never reads: {unknown}"
        for required in ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL", "S3_BUCKET"):
            assert required in environment, f"{name} lacks {required}"
        assert environment["DEBUG"] == "0"
        assert (
            environment["DATABASE_URL"].startswith("postgres://")
            and "@postgres:5432/" in environment["DATABASE_URL"]
        )
        assert environment["REDIS_URL"].startswith("redis://redis:6379")
        assert "minio:9000" in environment["S3_ENDPOINT_URL"]
        assert re.fullmatch(r"\$\{SECRET_KEY:\?.+\}", environment["SECRET_KEY"]), "no default secret key"


def test_credentials_are_never_baked_into_the_file(compose):
    text = COMPOSE_FILE.read_text()
    for variable in ("POSTGRES_PASSWORD", "MINIO_ROOT_PASSWORD", "SECRET_KEY"):
        for match in re.finditer(r"\$\{" + variable + r"(?P<rest>[^}]*)\}", text):
            assert match["rest"].startswith(":?"), f"{variable} must be required, not defaulted"


def test_postgres_and_minio_credentials_agree_with_the_app(compose):
    services = compose["services"]
    app = services["web"]["environment"]
    postgres = services["postgres"]["environment"]
    url = app["DATABASE_URL"]
    assert url.startswith(f"postgres://{postgres['POSTGRES_USER']}:")
    assert url.endswith(f"/{postgres['POSTGRES_DB']}")
    assert postgres["POSTGRES_PASSWORD"].split(":?")[0] in url
    minio = services["minio"]["environment"]
    assert app["S3_ACCESS_KEY_ID"] == minio["MINIO_ROOT_USER"]
    assert app["S3_SECRET_ACCESS_KEY"] == minio["MINIO_ROOT_PASSWORD"]


def _compose_command():
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True)
        if probe.returncode == 0:
            return ["docker", "compose"]
    return None


def test_docker_compose_accepts_the_file(tmp_path):
    command = _compose_command()
    if command is None:
        pytest.skip("neither docker-compose nor the docker compose plugin is installed")
    env_file = tmp_path / ".env"
    env_file.write_text("SECRET_KEY=x\nPOSTGRES_PASSWORD=x\nMINIO_ROOT_PASSWORD=xxxxxxxx\n")
    result = subprocess.run(
        [*command, "-f", str(COMPOSE_FILE), "--env-file", str(env_file), "config", "-q"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


def test_one_beat_sends_the_periodic_jobs_once_migrations_ran(compose):
    """Celery beat (settings.PERIODIC_JOBS -> CELERY_BEAT_SCHEDULE) starts after migrations with its broker."""
    from django.conf import settings

    beat = compose["services"]["beat"]
    assert beat["command"][:5] == ["python", "-m", "celery", "-A", "config"] and "beat" in beat["command"]
    assert "deploy" not in beat and "container_name" not in beat  # one replica: never scaled
    assert beat["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert beat["depends_on"]["redis"]["condition"] == "service_healthy"
    assert beat["healthcheck"]["test"]
    scheduled = {entry["args"][0] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "colorize.services.runs.recovery.sweep_stale_runs" in scheduled
    assert {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()} == {"findcolor.run_job"}
