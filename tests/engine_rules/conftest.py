from tests.infra.conftest import write_stack  # noqa: F401 - the shared stack-writing fixture
