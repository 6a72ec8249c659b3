"""Many rows in several states at once, for the pages whose query counts are pinned at two sizes."""


def create_mixed(factory, count: int, variants: list[dict], **common) -> list:
    """`count` rows of `factory`; the i-th gets the traits of variants[i % len(variants)], so both sizes a page is
    pinned at show every state (give at most ten variants) and a per-state N+1 shows as a count that grows."""
    return [factory(**common, **variants[index % len(variants)]) for index in range(count)]
