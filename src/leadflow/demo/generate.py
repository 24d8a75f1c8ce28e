"""The synthetic bulk generator's former address: it lives in `leadflow.demo.synthetic`.

Kept so that `leadflow generate` (cli/demo.py) and the benchmarks (bench/) import it as
before; they can import `leadflow.demo.synthetic` instead, and this module then goes.
"""

from leadflow.demo.synthetic import GenerateSpec, Progress, generate_dataset

__all__ = ["GenerateSpec", "Progress", "generate_dataset"]
