"""`offchain accounts ...`: keystores for the roles' `--keystore`, and balances.

offchain accounts new worker.json          # password: $OFFCHAIN_KEYSTORE_PASSWORD or prompt
offchain accounts import worker.json       # key: $OFFCHAIN_PRIVATE_KEY (or --key-env NAME)
offchain accounts list                     # keystores in this folder
offchain accounts balance worker.json      # or an address, or --dev-account N
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    from offchain.eth.keys import KEY_ENV
    from offchain.eth.options import add_connection_args, dev_account_index

    parser = subparsers.add_parser(
        "accounts",
        help="create, import and list keystore accounts; show balances",
        description=__doc__.splitlines()[0],
    )
    commands = parser.add_subparsers(dest="accounts_command", metavar="COMMAND", required=True)

    new = commands.add_parser("new", help="create a key and write it to a new keystore file")
    new.add_argument("path", type=Path, help="keystore file to create, e.g. worker.json")
    new.add_argument("--json", action="store_true", help="machine-readable output")
    new.set_defaults(func=cmd_new)

    imp = commands.add_parser("import", help="encrypt an existing key into a new keystore file")
    imp.add_argument("path", type=Path, help="keystore file to create")
    imp.add_argument(
        "--key-env",
        default=KEY_ENV,
        metavar="NAME",
        help=f"environment variable holding the hex key (default {KEY_ENV}; unset: prompt)",
    )
    imp.add_argument("--json", action="store_true", help="machine-readable output")
    imp.set_defaults(func=cmd_import)

    lst = commands.add_parser("list", help="keystore files in a folder and their addresses")
    lst.add_argument("folder", nargs="?", type=Path, default=Path("."), help="folder to list (default .)")
    lst.add_argument("--json", action="store_true", help="machine-readable output")
    lst.set_defaults(func=cmd_list)

    bal = commands.add_parser("balance", help="an account's balance on the chain")
    who = bal.add_mutually_exclusive_group(required=True)
    who.add_argument("account", nargs="?", help="address or keystore file")
    who.add_argument("--dev-account", type=dev_account_index, metavar="INDEX", help="a local dev chain account")
    bal.add_argument("--json", action="store_true", help="machine-readable output")
    add_connection_args(bal)
    bal.set_defaults(func=cmd_balance)


def _print(args: argparse.Namespace, data: dict[str, Any], text: str) -> None:
    print(json.dumps(data) if args.json else text)


def cmd_new(args: argparse.Namespace) -> int:
    from offchain.eth.accounts import create_account, new_password, write_keystore
    from offchain.eth.errors import InvalidInputError

    if args.path.exists():
        raise InvalidInputError(f"{args.path} exists: a keystore is never overwritten")
    account = create_account()
    write_keystore(account, args.path, new_password(args.path))
    _print(
        args,
        {"address": account.address, "keystore": str(args.path)},
        f"{account.address} in {args.path} (keep the password: the key cannot be recovered without it)",
    )
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    import os

    from offchain.eth.accounts import new_password, write_keystore
    from offchain.eth.errors import InvalidInputError
    from offchain.eth.keys import account_from_key, ask_secret

    if args.path.exists():
        raise InvalidInputError(f"{args.path} exists: a keystore is never overwritten")
    key = os.environ.get(args.key_env)
    if not key:
        key = ask_secret("private key (hex, not echoed): ", args.key_env)
    account = account_from_key(key)
    write_keystore(account, args.path, new_password(args.path))
    _print(args, {"address": account.address, "keystore": str(args.path)}, f"{account.address} in {args.path}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from offchain.eth.accounts import list_keystores

    entries = list(list_keystores(args.folder))
    if args.json:
        print(json.dumps([{"address": e.address, "keystore": str(e.path)} for e in entries]))
    elif not entries:
        print(f"no keystore in {args.folder} (create one: offchain accounts new worker.json)")
    for entry in [] if args.json else entries:
        print(f"{entry.address}  {entry.path}")
    return 0


def cmd_balance(args: argparse.Namespace) -> int:
    from offchain.eth.accounts import keystore_address
    from offchain.eth.client import connect
    from offchain.eth.errors import InvalidInputError
    from offchain.eth.keys import LOCAL_CHAIN_IDS, account_from_key
    from offchain.eth.options import rpc_from_args
    from offchain.eth.values import parse_address

    client = connect(rpc_from_args(args))
    if args.dev_account is not None:
        if client.chain_id not in LOCAL_CHAIN_IDS:
            raise InvalidInputError(f"--dev-account works on a local chain (ids {LOCAL_CHAIN_IDS})")
        from offchain.eth.keys import dev_private_key

        address: str = account_from_key(dev_private_key(args.dev_account)).address
    elif Path(args.account).is_file():
        found = keystore_address(Path(args.account))
        if found is None:
            raise InvalidInputError(f"{args.account} is not a keystore file")
        address = found
    else:
        address = parse_address(args.account, "account (an address or a keystore file)")
    wei = client.balance(address)
    _print(
        args,
        {"address": address, "wei": wei, "chain_id": client.chain_id},
        f"{address}  {wei / 1e18:.6f} ETH on chain {client.chain_id}",
    )
    return 0
