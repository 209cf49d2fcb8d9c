/**
 * Finding cells in an open notebook and taking the user to one of them, at a line.
 */

import type { ICodeCellModel } from '@jupyterlab/cells';
import { NotebookPanel } from '@jupyterlab/notebook';

import { ICellLocator, NO_CELLS } from './finding_rows';

/** What the panel's view model needs to know of a notebook's cells. */
export function cellLocator(panel: NotebookPanel | null): ICellLocator {
  if (!panel || panel.isDisposed || !panel.content.model) {
    return NO_CELLS;
  }
  const cells = panel.content.model.cells;
  return {
    numberOf: (cellId: string) => {
      for (let index = 0; index < cells.length; index++) {
        if (cells.get(index).id === cellId) {
          return index + 1;
        }
      }
      return null;
    },
    idByExecutionCount: (count: number) => {
      for (let index = 0; index < cells.length; index++) {
        const cell = cells.get(index);
        if (
          cell.type === 'code' &&
          (cell as ICodeCellModel).executionCount === count
        ) {
          return cell.id;
        }
      }
      return null;
    },
    idAt: (index: number) =>
      index >= 0 && index < cells.length ? cells.get(index).id : null
  };
}

/**
 * Activates the notebook's cell with this id, scrolls it into view and, when a line is given,
 * puts the cursor at the start of that line (1-based) and scrolls the line into view. With
 * `focus`, the cell's editor takes the keyboard focus. Resolves false when there is no such cell.
 */
export async function revealCell(
  panel: NotebookPanel,
  cellId: string,
  line: number | null,
  focus: boolean
): Promise<boolean> {
  const notebook = panel.content;
  const index = notebook.widgets.findIndex(cell => cell.model.id === cellId);
  if (index < 0) {
    return false;
  }
  notebook.deselectAll();
  notebook.activeCellIndex = index;
  const cell = notebook.widgets[index];
  await notebook.scrollToCell(cell, 'center');
  await cell.ready;
  const editor = cell.editor;
  if (editor && line !== null && line >= 1 && line <= editor.lineCount) {
    const position = { line: line - 1, column: 0 };
    editor.setCursorPosition(position);
    editor.revealPosition(position);
  }
  if (focus && editor && cell.model.type === 'code') {
    notebook.mode = 'edit';
    editor.focus();
  }
  return true;
}
