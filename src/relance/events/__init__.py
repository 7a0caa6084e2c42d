"""The event outbox: what happened, recorded in the transaction of the change itself."""
