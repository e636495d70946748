"""Deployment files: the compose stack, the image and the example environment."""
