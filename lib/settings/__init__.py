"""The secrets, made sure: every key validated into a frozen configuration (config, access), or demo
mode with simulated portals (demo). Imports only the root helpers (and the simulator, for the demo)."""
