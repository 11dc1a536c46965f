"""Networks of Hodgkin-Huxley neurons."""
