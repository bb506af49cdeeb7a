from cadence.daemon.model import Cadence


def main() -> None:
    print(Cadence.parse("weekly"))
