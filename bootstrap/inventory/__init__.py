"""Inventory: the JSON contract naming every node, its pool, and how SSH reaches it."""

from bootstrap.inventory.export import to_ansible_ini, to_ansible_yaml, to_hostfile
from bootstrap.inventory.load import InventoryError, load_inventory, parse_inventory
from bootstrap.inventory.model import Bastion, Inventory, Node, SshSettings
from bootstrap.inventory.stack_output import from_stack_output

__all__ = [
    "Bastion",
    "Inventory",
    "InventoryError",
    "Node",
    "SshSettings",
    "from_stack_output",
    "load_inventory",
    "parse_inventory",
    "to_ansible_ini",
    "to_ansible_yaml",
    "to_hostfile",
]
