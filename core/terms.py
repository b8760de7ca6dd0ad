"""The bureau's fixed terms, defined once: 密级, 保管期限, 紧急程度.

Labels are Chinese catalog ids (translated where shown). Sources: 密级 levels per the 保守国家秘密法
(公开 and 内部 are the bureau's own non-secret levels below 秘密); 紧急程度 per GB/T 9704-2012 §7.2.4
(特急, 加急; 平件 when unmarked); 保管期限 per DA/T 22-2015 §6 (永久, 定期30年, 定期10年).
"""

from __future__ import annotations

from core.messages import N_

# 密级: level -> label; a person's clearance uses the same levels.
CLASSIFICATION_NAMES: dict[int, str] = {0: N_("公开"), 1: N_("内部"), 2: N_("秘密"), 3: N_("机密"), 4: N_("绝密")}
# Levels from 秘密 up are classified: only people on the route and cleared roles see them.
CLASSIFIED_FROM = 2
# 紧急程度 (GB/T 9704 §7.2.4).
URGENCY_NAMES: dict[str, str] = {"normal": N_("平件"), "urgent": N_("加急"), "very_urgent": N_("特急")}
# 保管期限 (DA/T 22 §6); D30 first in forms: the common choice.
RETENTION_NAMES: dict[str, str] = {"Y": N_("永久"), "D30": N_("定期30年"), "D10": N_("定期10年")}
RETENTION_ORDER = ("D30", "Y", "D10")
