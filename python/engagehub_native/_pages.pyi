# Types of the C extension engagehub_native._pages (see _pages.c).
from typing import TypeVar

T = TypeVar("T", bound=tuple)

def ranked_users(type: type[T], block: bytes, count: int, ints_per_entry: int,
                 first: int, /) -> list[T]: ...
