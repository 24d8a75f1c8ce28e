"""Sample data: the hand-made demo (`dataset`) and synthetic data for benchmarks (`synthetic`).

The demo goes through the services, so it behaves like data users typed in;
the generator writes millions of rows with bulk inserts, for benchmarks.
"""
