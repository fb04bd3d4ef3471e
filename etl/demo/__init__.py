"""Synthetic demo data: partner-style input files for demos, tests and benchmarks.

`generate(out_dir, seed, scale, today)` writes HMO registers, report exports, a victim-case
export and a matching synthetic postcode lookup. Nothing in them is real.
"""
from etl.demo.generate import DemoFile, PlantedError, Scale, generate, named_scales

__all__ = ["DemoFile", "PlantedError", "Scale", "generate", "named_scales"]
