import { z } from 'zod';
import type { DataTypeDefinition } from './datatype';
import { defineStream } from './stream';
import { date, dbId, optional, ownedNode, wallClock } from './xledger-fields';

const employeeNode = ownedNode.extend({
  code: optional(z.string()),
  description: optional(z.string()),
  email: optional(z.string()),
  contact: optional(z.object({ firstName: optional(z.string()), lastName: optional(z.string()) })),
  employmentFrom: optional(date),
  employmentTo: optional(date),
  modifiedAt: optional(wallClock),
});

export const employeesStream = defineStream({
  name: 'employees',
  collection: 'employees',
  rootField: 'employees',
  selection:
    'dbId code description email contact { firstName lastName } employmentFrom employmentTo modifiedAt ownerDbId',
  node: employeeNode,
  toDocument: ({ dbId: _id, ownerDbId: _owner, ...fields }) => fields,
  changeCursor: 'modifiedAt',
  deltas: 'employee_deltas',
  objectStatus: true,
  scope: 'EMPLOYEE_READ',
});

const projectNode = ownedNode.extend({
  code: optional(z.string()),
  description: optional(z.string()),
  fromDate: optional(date),
  toDate: optional(date),
  modifiedAt: optional(wallClock),
  projectManager: optional(z.object({ dbId })),
});

export const projectsStream = defineStream({
  name: 'projects',
  collection: 'projects',
  rootField: 'projects',
  selection: 'dbId code description fromDate toDate modifiedAt ownerDbId projectManager { dbId }',
  node: projectNode,
  toDocument: ({ projectManager, code, description, fromDate, toDate, modifiedAt }) => ({
    code,
    description,
    fromDate,
    toDate,
    modifiedAt,
    projectManagerDbId: projectManager?.dbId ?? null,
  }),
  changeCursor: 'modifiedAt',
  deltas: 'project_deltas',
  objectStatus: true,
  scope: 'PROJECT_READ',
});

/** Employees are read for one purpose: resolving each project's manager to an email. */
export const projects = {
  name: 'projects',
  title: 'Projects and their managers (employees)',
  defaultIntervalMinutes: 60,
  streams: [employeesStream, projectsStream],
  link: 'projectManagers',
  enabledFor: (options) => options.projectManagers,
} satisfies DataTypeDefinition;
