# Types of the C extension engagehub_native._staging (see _staging.c).
from typing import Optional

SMALL_EVENT: int

class Pushes:
    _staged: list
    _room: int
    def push(self, event_type: str, user_id: str, channel_id: str,
             timestamp: Optional[int] = None) -> bool: ...

class Updates:
    _staged: list
    _room: int
    _latest: int
    _draining: bool
    def update(self, user_id: str, points: float, timestamp: Optional[int] = None) -> None: ...

def event_dicts(fields: list, /) -> list[dict]: ...
def drain_wire(fields: list, typed: bool, /) -> tuple[bytes, bytes, int]: ...
def update_wire(ids: list, points: list, timestamps: list, /) -> tuple[bytes, bytes, bytes]: ...
