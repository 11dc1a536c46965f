"""Helpers shared by the tests: the CLI runner (``cli``), the session's starting
environment (``start_env``) and independent references written for the tests
(``hh_textbook``, ``ref_hh``, ``ref_hh_mp``, ``two_cells``; none imports hhsim)."""
