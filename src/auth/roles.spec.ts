import { atLeast, isRole, mayChangeMember, REQUIRED_ROLE, rolesFrom } from './roles.js';

describe('roles', () => {
  it('orders reader < writer < admin < owner', () => {
    expect(atLeast('owner', 'admin')).toBe(true);
    expect(atLeast('admin', 'admin')).toBe(true);
    expect(atLeast('writer', 'admin')).toBe(false);
    expect(atLeast('reader', 'writer')).toBe(false);
  });

  it('rolesFrom lists the role and every stronger one', () => {
    expect(rolesFrom('reader')).toEqual(['reader', 'writer', 'admin', 'owner']);
    expect(rolesFrom('writer')).toEqual(['writer', 'admin', 'owner']);
    expect(rolesFrom('owner')).toEqual(['owner']);
  });

  it('matches the contract: writers change content, admins projects, owners delete namespaces', () => {
    expect(REQUIRED_ROLE).toMatchObject({
      read: 'reader',
      writeContent: 'writer',
      manageProjects: 'admin',
      updateNamespace: 'admin',
      manageMembers: 'admin',
      manageOwners: 'owner',
      deleteNamespace: 'owner',
    });
  });

  it('isRole accepts only the four roles', () => {
    expect(isRole('admin')).toBe(true);
    expect(isRole('root')).toBe(false);
    expect(isRole(null)).toBe(false);
  });

  describe('mayChangeMember', () => {
    it('admins manage members below owner', () => {
      expect(mayChangeMember('admin', null, 'writer')).toBe(true);
      expect(mayChangeMember('admin', 'reader', 'admin')).toBe(true);
      expect(mayChangeMember('admin', 'writer', null)).toBe(true);
    });

    it('only owners grant, change or revoke owner', () => {
      expect(mayChangeMember('admin', null, 'owner')).toBe(false);
      expect(mayChangeMember('admin', 'owner', 'admin')).toBe(false);
      expect(mayChangeMember('admin', 'owner', null)).toBe(false);
      expect(mayChangeMember('owner', 'owner', null)).toBe(true);
      expect(mayChangeMember('owner', null, 'owner')).toBe(true);
    });

    it('writers and readers manage nobody', () => {
      expect(mayChangeMember('writer', null, 'reader')).toBe(false);
      expect(mayChangeMember('reader', 'reader', null)).toBe(false);
    });
  });
});
