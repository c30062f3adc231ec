"""Teaching: checking a learner's gradient (symbolic or NumPy code) with the mistake named, and
backpropagation shown as tables of a computational graph."""
