"""WhatsApp Cloud API: webhook payload models, signatures and the sending client."""
