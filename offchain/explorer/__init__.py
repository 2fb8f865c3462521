"""`offchain explorer`: the market, the model registry and the ledger as web pages.

market_view.py is the only module that reads the TrainingMarket (its records in
market_records.py; every phase, outcome and amount from its MarketLens), registry_view.py the
ModelRegistry, ledger_view.py the ledger node (and the LedgerRelay's tip), artifacts_view.py
the local artifact stores; app.py turns their records into server-rendered pages, server.py
serves them, cli.py is the command. templates/ and static/ are shipped as they are: no
build step, nothing fetched from the network.
"""
