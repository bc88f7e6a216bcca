"""Turn a jupytext percent script into a clean chapter notebook: python3 kernelspec, no outputs.

Usage: python scripts/nbconvert_percent.py SRC.py notebooks/NN_name.ipynb
"""

import sys

import jupytext
import nbformat

src, dst = sys.argv[1], sys.argv[2]
nb = jupytext.read(src)
nb.metadata = {
    "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
    "language_info": {"name": "python"},
}
for cell in nb.cells:
    if cell.cell_type == "code":
        cell.outputs, cell.execution_count = [], None
    cell.metadata = {k: v for k, v in cell.metadata.items() if k == "tags"}
nbformat.write(nb, dst)
print(f"wrote {dst}")
