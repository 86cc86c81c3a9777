"""Go's text/tabwriter, so describe and table output line up exactly as oc's.

Cells are tab-terminated; the text after a line's last tab is not part of any column.
A column is a run of consecutive lines that have a cell in it; its width is its widest
cell plus padding. oc's describe pads with tabs (tab width 8); kubectl's tables with
spaces (minimum width 6, padding 3).
"""
from __future__ import annotations


def align(text: str, minwidth: int = 0, tabwidth: int = 8, padding: int = 1,
          padchar: str = "\t") -> str:
    lines = [line.split("\t") for line in text.split("\n")]
    out: list[str] = []
    widths: list[int] = []

    def pad(text_width: int, cell_width: int) -> str:
        if padchar == "\t":
            cell_width = -(-cell_width // tabwidth) * tabwidth
            return "\t" * -(-(cell_width - text_width) // tabwidth)
        return padchar * (cell_width - text_width)

    def write(first: int, last: int) -> None:
        for cells in lines[first:last]:
            row = []
            for index, cell in enumerate(cells):
                row.append(cell)
                if index < len(widths) and index < len(cells) - 1:
                    row.append(pad(len(cell), widths[index]))
            out.append("".join(row))

    def format_block(first: int, last: int) -> None:
        column = len(widths)
        line = first
        while line < last:
            if column >= len(lines[line]) - 1:
                line += 1
                continue
            write(first, line)
            first = line
            width = minwidth
            while line < last and column < len(lines[line]) - 1:
                width = max(width, len(lines[line][column]) + padding)
                line += 1
            widths.append(width)
            format_block(first, line)
            widths.pop()
            first = line
        write(first, last)

    format_block(0, len(lines))
    return "\n".join(out)


def table(rows: list[list[str]]) -> str:
    """kubectl's table layout: columns padded with spaces, three between columns."""
    text = "\n".join("\t".join(row) for row in rows)
    return align(text, minwidth=6, tabwidth=4, padding=3, padchar=" ")
