"""Staff users of the pages: passwords (scrypt), sign-in sessions, the `ipfin users` command."""
