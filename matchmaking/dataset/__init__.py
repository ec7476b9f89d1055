"""The cbm-dataset/1 exchange format: import and export, the demo data, synthetic
datasets and ranking a dataset file for evaluation.
"""
