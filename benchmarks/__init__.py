"""Speed benchmarks of dfctl (run on demand, not by the test suite)."""
