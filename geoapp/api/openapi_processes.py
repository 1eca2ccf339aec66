"""The OGC API - Processes part of the OpenAPI document (merged in by `geoapp.api.openapi`)."""

from __future__ import annotations

from geoapp.jobs.processes import PROCESSES


def _error() -> dict:
    return {
        "description": "An error",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/exception"}}},
    }


def _json(schema_ref: str, description: str, **headers: dict) -> dict:
    response = {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema_ref}"}}},
    }
    if headers:
        response["headers"] = headers
    return response


def _inputs_name(process_id: str) -> str:
    return f"inputs-{process_id}"


def _inputs_schema(process) -> dict:
    """One process's inputs as a JSON object schema (from its OGC input descriptions)."""
    properties = {}
    for name, spec in process.inputs.items():
        schema = dict(spec["schema"])
        if spec.get("maxOccurs", 1) not in (1, None):
            schema = {"type": "array", "items": schema}
        properties[name] = {**schema, "description": spec.get("description", spec["title"])}
    return {
        "type": "object",
        "title": f"Inputs of {process.id}",
        "required": [name for name, spec in process.inputs.items() if spec.get("minOccurs", 1)],
        "properties": properties,
        "additionalProperties": False,
    }


def processes_schemas() -> dict:
    """Component schemas of the process and job documents."""
    links = {"type": "array", "items": {"$ref": "#/components/schemas/link"}}
    summary = {
        "type": "object",
        "required": ["id", "version", "links"],
        "properties": {
            "id": {"type": "string"},
            "title": {"type": "string"},
            "description": {"type": "string"},
            "version": {"type": "string"},
            "keywords": {"type": "array", "items": {"type": "string"}},
            "jobControlOptions": {
                "type": "array",
                "items": {"type": "string", "enum": ["sync-execute", "async-execute", "dismiss"]},
            },
            "outputTransmission": {"type": "array", "items": {"type": "string"}},
            "links": links,
        },
    }
    description = {
        "allOf": [
            {"$ref": "#/components/schemas/processSummary"},
            {
                "type": "object",
                "required": ["inputs", "outputs"],
                "properties": {
                    "inputs": {"type": "object", "additionalProperties": {"type": "object"}},
                    "outputs": {"type": "object", "additionalProperties": {"type": "object"}},
                },
            },
        ]
    }
    status_info = {
        "type": "object",
        "required": ["jobID", "status", "type"],
        "properties": {
            "jobID": {"type": "string", "format": "uuid"},
            "processID": {"type": "string"},
            "type": {"type": "string", "enum": ["process"]},
            "status": {
                "type": "string",
                "enum": ["accepted", "running", "successful", "failed", "dismissed"],
            },
            "message": {"type": "string"},
            "created": {"type": "string", "format": "date-time"},
            "started": {"type": "string", "format": "date-time", "nullable": True},
            "finished": {"type": "string", "format": "date-time", "nullable": True},
            "updated": {"type": "string", "format": "date-time"},
            "progress": {"type": "integer", "minimum": 0, "maximum": 100},
            "links": links,
        },
    }
    inputs = {
        "description": "The inputs of the process named in the path (one of these schemas)",
        "anyOf": [{"$ref": f"#/components/schemas/{_inputs_name(pid)}"} for pid in PROCESSES],
    }
    return {
        **{_inputs_name(pid): _inputs_schema(process) for pid, process in PROCESSES.items()},
        "processSummary": summary,
        "processList": {
            "type": "object",
            "required": ["processes", "links"],
            "properties": {
                "processes": {
                    "type": "array",
                    "items": {"$ref": "#/components/schemas/processSummary"},
                },
                "links": links,
            },
        },
        "process": description,
        "execute": {
            "type": "object",
            "required": ["inputs"],
            "additionalProperties": False,
            "properties": {
                "inputs": inputs,
                "outputs": {"type": "object"},
                "response": {"type": "string", "enum": ["raw", "document"]},
            },
        },
        "statusInfo": status_info,
        "jobList": {
            "type": "object",
            "required": ["jobs", "links"],
            "properties": {
                "jobs": {"type": "array", "items": {"$ref": "#/components/schemas/statusInfo"}},
                "links": links,
            },
        },
        "results": {
            "type": "object",
            "description": "The outputs by name (see the process description)",
        },
    }


def processes_paths() -> dict:
    """The process and job endpoints."""
    process_id = {
        "name": "processId",
        "in": "path",
        "required": True,
        "description": "One of " + ", ".join(PROCESSES),
        "schema": {"type": "string", "minLength": 1, "pattern": "^[^/]+$"},
    }
    job_id = {
        "name": "jobId",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "minLength": 1, "pattern": "^[^/]+$"},
    }
    location = {"Location": {"description": "The job's status URL", "schema": {"type": "string"}}}
    return {
        "/processes": {
            "get": {
                "operationId": "getProcesses",
                "summary": "The processes",
                "responses": {"200": _json("processList", "The processes")},
            }
        },
        "/processes/{processId}": {
            "get": {
                "operationId": "getProcessDescription",
                "parameters": [process_id],
                "responses": {"200": _json("process", "A process"), "404": _error()},
            }
        },
        "/processes/{processId}/execution": {
            "post": {
                "operationId": "execute",
                "summary": "Queue a process (always asynchronous)",
                "parameters": [process_id],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/execute"}}
                    },
                },
                "responses": {
                    "201": _json("statusInfo", "The job was queued", **location),
                    "400": _error(),
                    "401": _error(),
                    "403": _error(),
                    "404": _error(),
                },
            }
        },
        "/jobs": {
            "get": {
                "operationId": "getJobs",
                "summary": "The caller's jobs",
                "responses": {"200": _json("jobList", "Jobs"), "401": _error()},
            }
        },
        "/jobs/{jobId}": {
            "get": {
                "operationId": "getStatus",
                "parameters": [job_id],
                "responses": {
                    "200": _json("statusInfo", "The job's status"),
                    "401": _error(),
                    "404": _error(),
                },
            },
            "delete": {
                "operationId": "dismiss",
                "parameters": [job_id],
                "responses": {
                    "200": _json("statusInfo", "The job is dismissed"),
                    "401": _error(),
                    "403": _error(),
                    "404": _error(),
                },
            },
        },
        "/jobs/{jobId}/results": {
            "get": {
                "operationId": "getResult",
                "parameters": [job_id],
                "responses": {
                    "200": _json("results", "The outputs"),
                    "401": _error(),
                    "404": _error(),
                },
            }
        },
    }


def with_processes(document: dict) -> dict:
    """The document with the process and job endpoints added."""
    document["paths"].update(processes_paths())
    document["components"]["schemas"].update(processes_schemas())
    return document
