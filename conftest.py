pytest_plugins = ["repro.plugin"]
