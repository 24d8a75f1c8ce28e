"""Sample data: the hand-made demo (`dataset`) and the synthetic bulk generator (`generate`).

The demo goes through the services, so it behaves like data users typed in;
the generator writes millions of rows with bulk inserts, for benchmarks.
"""
