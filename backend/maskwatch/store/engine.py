"""SQLAlchemy engine options from the settings: the pool's size and waits, and the driver's timeouts, so a
database that stops answering costs a request seconds, not forever (DB_* in maskwatch.config)."""

from __future__ import annotations

from sqlalchemy.engine import make_url


def engine_options(url: str, config) -> dict:
    """Options for create_engine(url): pool_size, max_overflow, pool_timeout (not for an in-memory SQLite, whose
    pool is one connection per thread) and, for MySQL/MariaDB, PyMySQL's connect/read/write timeouts.

    Example: engine_options("mysql+pymysql://u:p@db/maskwatch", Config())["connect_args"]["read_timeout"] -> 30.0
    """
    parsed = make_url(url)
    options: dict = {"pool_pre_ping": True}
    if not (parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:")):
        options.update(
            pool_size=config["DB_POOL_SIZE"],
            max_overflow=config["DB_MAX_OVERFLOW"],
            pool_timeout=config["DB_POOL_TIMEOUT_S"],
        )
    if parsed.get_backend_name() == "mysql":
        read = config["DB_READ_TIMEOUT_S"]
        options["connect_args"] = {
            "connect_timeout": config["DB_CONNECT_TIMEOUT_S"],
            "read_timeout": read,
            "write_timeout": read,
        }
    return options
