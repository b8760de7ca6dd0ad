"""All tables. Each feature keeps its models in its own module; this list is the registry."""

from core.models.assessment import AssessmentTarget  # noqa: F401  (registers the 目标绩效考核 tables)
from core.models.base import Base
from core.models.directory import DirectoryDeactivation, DirectorySyncRun  # noqa: F401  (registers the tables)
from core.models.documents import Document  # noqa: F401  (registers the document and workflow tables)
from core.models.files import ArchiveFile  # noqa: F401  (registers the archive file and index tables)
from core.models.inspection import InspectionItem  # noqa: F401  (registers the 督查督办 tables)
from core.models.notices import Notice  # noqa: F401  (registers the 通知公告 / 公示 tables)
from core.models.org import AuditEvent, Department, Role, RoleAssignment, User, WorkerState
from core.models.printing import PrinterStatus, PrintJob  # noqa: F401  (registers the tables)
from core.models.reporting import Item  # noqa: F401  (registers the 政务信息报送 tables)
from core.models.supervision import Notification  # noqa: F401  (registers the 督办 / 传阅 tables)

__all__ = ["AuditEvent", "Base", "Department", "Role", "RoleAssignment", "User", "WorkerState"]
