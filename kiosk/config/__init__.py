"""Settings: the TOML config, writing it back, and where a gate PC keeps its logs."""
