"""Demo activities, funding and report narratives from content/demo/week.yaml."""
