"""Fan-out between server processes.

``LocalBus`` (the default) does nothing: one process owns every space it serves. ``RedisBus``
publishes each space's events, participant changes and pose batches on Redis pub/sub so that
several processes serve the same space; the database stays the single source of truth.
"""

from medverse.bus.base import Bus, BusHandler, LocalBus, make_bus

__all__ = ["Bus", "BusHandler", "LocalBus", "make_bus"]
