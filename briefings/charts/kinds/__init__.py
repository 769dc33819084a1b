"""One module per chart kind: its data, its summary and its ``ChartSpec``.

Drawing stays in ``briefings.charts.plot`` and ``briefings.charts.breadth_plot``, imported only
when a chart is drawn (matplotlib is slow to import).
"""
