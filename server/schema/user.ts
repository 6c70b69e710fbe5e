import { builder } from './builder.ts';
import { requireViewer } from './context.ts';

builder.prismaObject('User', {
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    email: t.exposeString('email'),
    role: t.string({ resolve: (user) => (user.role === 'admin' ? 'admin' : 'user') }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

builder.queryField('me', (t) =>
  t.prismaField({
    type: 'User',
    nullable: true,
    description: 'The signed-in user, or the owner of the API key in use.',
    resolve: (query, _root, _args, ctx) =>
      ctx.prisma.user.findUnique({ ...query, where: { id: requireViewer(ctx).userId } }),
  }),
);
