"""What operators see: request logs, structured logging, metrics, health and business events."""
