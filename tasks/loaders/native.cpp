#include "tasks/loaders/loaders.h"

namespace r1b::tasks {

Result<Task> native_task(const JsonlRecord& record) { return task_from_json(record.json); }

}  // namespace r1b::tasks
