"""The stack's Backstage catalog: catalog-info.yaml, validated against Backstage's schemas, served and judged."""
