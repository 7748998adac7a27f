"""The fleet runner: a bounded pool pushes a job to every node and returns one result each."""

from bootstrap.runner.fleet_run import run_fleet
from bootstrap.runner.jobs import CommandJob, Job, ScriptJob
from bootstrap.runner.settings import RunSettings

__all__ = ["CommandJob", "Job", "RunSettings", "ScriptJob", "run_fleet"]
