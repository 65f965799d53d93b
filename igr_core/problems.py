"""Small losses for the theory chapters, each with its data source. See :mod:`igr_core._src.problems`."""
from igr_core._src.problems import Problem, mnist_digits, mnist_mlp_problem, regression_mlp, toy_problem

__all__ = ["Problem", "mnist_digits", "toy_problem", "mnist_mlp_problem", "regression_mlp"]
