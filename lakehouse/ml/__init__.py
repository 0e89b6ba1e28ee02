"""MLflow -> SageMaker: the stack's tracking server, the model trained on Gold, and its deployment."""
