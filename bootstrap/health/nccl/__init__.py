"""NCCL bandwidth validation: thresholds (`threshold`), the mpirun command line (`mpirun`), and
the pairwise planner that names slow nodes (`pairwise`)."""
