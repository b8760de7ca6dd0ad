"""目标绩效考核 (target performance assessment): targets, quarterly 自查, the summary and the year's assessment."""
